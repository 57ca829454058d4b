/**
 * The smoke pod after a node's uncordon (activities/kube/smoke.ts): the node must run a pod, not only
 * report Ready. A pod that never becomes Ready (or that could not be run) never fails the node: it
 * parks it at `smoke-failed`, which pauses the upgrade like a failed gate, with the node, what the pod
 * showed and what to look at in the status; `resume` runs the pod again (the catalogue's `smoke:` as
 * it stands then, so `enabled: false` lets an operator accept the node), `abort` stops the upgrade.
 * The node stays uncordoned at its new version meanwhile: it is upgraded, it only failed the check.
 */
import { ActivityCancellationType, CancellationScope, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { Failure } from '../../model/errors.js';
import { type SmokeCheck, unrunLookAt } from '../../model/smoke.js';
import type { NodeReport } from '../../model/status.js';
import { failureType, rootCause } from '../cause.js';
import type { Orders } from './orders.js';
import type { Reporter } from './report.js';
import type { NodeUpgradeInput } from './types.js';

/**
 * The pod waits at most smoke.timeoutSeconds (at most 900 s, model/smoke.ts), heartbeating every
 * second; an API outage is retried for a few minutes, then reported as a failed check (a pause). A
 * cancellation waits until the pod is deleted.
 */
const smoke = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '15s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [Failure.Forbidden],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * The check's last result; 'gone' when the node was deleted meanwhile. An abort ends the wait with the
 * failed result. `now` is what the reports say of the node meanwhile (its new version, uncordoned).
 */
export async function smokeTest(
  { cluster, upgradeId }: NodeUpgradeInput,
  node: string,
  orders: Orders,
  reporter: Reporter,
  now: Omit<NodeReport, 'name'>,
): Promise<SmokeCheck | 'gone'> {
  for (;;) {
    await reporter.report({ ...now, step: 'smoke', detail: `running a smoke pod on ${node}` });
    let result: SmokeCheck;
    try {
      result = await unlessAborted(orders, () => smoke.smokePod({ cluster, node, upgradeId }));
    } catch (err) {
      if (failureType(err) === Failure.NodeNotFound) return 'gone';
      const message = orders.aborted ? 'cut short by the abort' : `could not be run: ${rootCause(err)}`;
      result = {
        name: 'smoke-pod',
        ok: false,
        node,
        detail: `smoke pod on ${node} ${message}`,
        lookAt: orders.aborted ? undefined : unrunLookAt(rootCause(err)),
      };
    }
    if (result.ok || orders.aborted) return result;
    orders.expectDecision();
    await reporter.report({
      ...now,
      step: 'smoke-failed',
      smoke: result,
      detail: `${result.detail}${result.lookAt ? `; look at ${result.lookAt}` : ''}; waiting for an operator (resume runs the smoke pod again, abort stops)`,
    });
    if (!(await orders.decided())) return result; // aborted
  }
}

/** Runs `work` in a scope that an abort cancels (the activity then deletes its pod before it ends). */
async function unlessAborted<T>(orders: Orders, work: () => Promise<T>): Promise<T> {
  const scope = new CancellationScope();
  const watch = new CancellationScope();
  watch
    .run(() => condition(() => orders.aborted))
    .then(() => scope.cancel())
    .catch(() => undefined); // the watch ends with the work
  try {
    return await scope.run(work);
  } finally {
    watch.cancel();
  }
}

/** "smoke pod Ready after 2 s", for the node's final detail (empty when the check did not run). */
export function smokeSaid(result: SmokeCheck | 'gone' | undefined): string {
  if (!result) return '';
  if (result === 'gone') return 'the node was deleted before its smoke pod became Ready';
  if (result.skipped) return `smoke pod not run (${result.skipped})`;
  return result.ok ? `smoke pod Ready after ${result.seconds ?? 0} s` : `smoke pod NOT Ready: ${result.detail}`;
}
