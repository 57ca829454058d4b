/**
 * Tells an upgrade when its activities cannot reach the cluster's API server, and when they can again:
 * an activity interceptor that, after an attempt failed as ClusterUnreachable (retried by Temporal, so
 * invisible to the workflow until it gives up), signals `apiReach` to the workflow that ran it; a later
 * attempt that succeeds signals the API reachable again. The status then says "API server of CLUSTER
 * unreachable since …" instead of a stale step with a healthy look. Best effort: a signal that cannot
 * be sent never fails or delays the activity.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Failure } from '../model/errors.js';
import { apiReach, type ApiReach } from '../workflows/control.js';

/** The workflows that follow the API server's reach (the others have no handler for it). */
const LISTENERS = new Set(['rollingUpgrade', 'nodeUpgrade']);
/** Best-effort activities that succeed whether or not they reached the API server: they say nothing of it. */
const SILENT = new Set(['nodeEvent', 'webhooks', 'sendWebhook']);

function unreachable(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && err.type === Failure.ClusterUnreachable;
}

function tell(ctx: Context, reach: ApiReach): void {
  const { workflowType, workflowExecution } = ctx.info;
  if (!workflowType || !workflowExecution || !LISTENERS.has(workflowType)) return;
  try {
    ctx.client.workflow
      .getHandle(workflowExecution.workflowId, workflowExecution.runId)
      .signal(apiReach, reach)
      .catch(() => undefined); // the workflow ended, or Temporal is not reachable either
  } catch {
    // no client (a test's mock environment)
  }
}

/** Workflows this worker told the API server was unreachable: any later success of theirs clears it. */
const told = new Set<string>();

export const reachInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (SILENT.has(ctx.info.activityType)) return await next(input);
      const attempt = ctx.info.attempt;
      const id = ctx.info.workflowExecution?.workflowId ?? '';
      try {
        const result = await next(input);
        if (attempt > 1 || told.delete(id)) {
          tell(ctx, { reachable: true, at: new Date().toISOString(), attempt, message: '' });
        }
        return result;
      } catch (err) {
        if (unreachable(err)) {
          if (told.size > 10_000) told.clear(); // a bound: the workflows' own gates clear it too
          told.add(id);
          tell(ctx, { reachable: false, at: new Date().toISOString(), attempt, message: err.message });
        }
        throw err;
      }
    },
  },
});
