/**
 * The drain of one node under the operator's control. A drain that outlives its timeout follows
 * `onDrainTimeout` (pause by default: the node waits for retryDrain, forceDrain, skipNode or abort;
 * `force` deletes the pods instead; `abort` aborts); pods refused at once (unmanaged, emptyDir) always
 * wait for the operator. Never a silent force.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { DrainResult } from '../../model/kube.js';
import type { ForcedDeletion } from '../../model/status.js';
import { Aborted } from '../aborted.js';
import type { NodeStory } from '../notify/node-events.js';
import { drainBlocked } from '../notify/words.js';
import { long } from './activities.js';
import { observeDrain } from '../metrics.js';
import type { Orders } from './orders.js';
import type { Reporter } from './report.js';
import type { NodeUpgradeInput } from './types.js';

/** Drains until the node is empty ('drained') or the operator skips it ('skipped'); throws Aborted. */
export async function drain(
  { cluster, node, options }: NodeUpgradeInput,
  orders: Orders,
  reporter: Reporter,
  story: NodeStory,
): Promise<'drained' | 'skipped'> {
  let timeout = options.drainTimeoutSeconds;
  let deletePods = false;
  let forced = false; // the operator chose forceDrain: unmanaged and emptyDir pods go too
  const deleted: ForcedDeletion[] = []; // every pod deleted rather than evicted, and why
  const started = Date.now();
  const noteDeleted = async (pods: DrainResult['deleted']) => {
    if (!pods?.length) return;
    const decision = forced ? 'forceDrain by the operator' : 'onDrainTimeout: force';
    for (const d of pods) {
      if (!deleted.some((x) => x.pod === d.pod)) deleted.push({ pod: d.pod, node, at: d.at, decision });
    }
    await reporter.report({ deleted: [...deleted] });
  };
  for (;;) {
    if (orders.aborted) throw new Aborted();
    await reporter.report({
      step: 'drain',
      blocked: [],
      detail: deletePods ? 'deleting pods (forced)' : 'evicting pods',
    });
    await story.tell(
      'Draining',
      deletePods ? 'draining: deleting its pods (forced)' : `draining: evicting its pods (timeout ${timeout} s)`,
    );
    const deadline = Date.now() + timeout * 1000;
    let result: DrainResult;
    try {
      const scope = new CancellationScope();
      orders.drainScope = scope;
      if (orders.aborted) throw new Aborted(); // the abort came while reporting
      result = await scope.run(() =>
        long(timeout).drainNode({
          cluster,
          node,
          deadline,
          deleteEmptyDirData: options.deleteEmptyDirData || forced,
          force: options.force || forced,
          gracePeriodSeconds: options.gracePeriodSeconds,
          deletePods,
        }),
      );
    } catch (err) {
      await noteDeleted(deletedIn(err)); // a forced drain that ends in an error still names its deletions
      // Cancelled (or failed while being cancelled) because of an abort: compensate as an abort.
      if (orders.aborted) throw new Aborted();
      throw err;
    } finally {
      orders.drainScope = undefined;
    }
    await noteDeleted(result.deleted);
    if (result.drained) {
      observeDrain(cluster, started);
      return 'drained';
    }
    if (result.timedOut && options.onDrainTimeout === 'force' && !deletePods) {
      deletePods = true;
      continue;
    }
    if (result.timedOut && options.onDrainTimeout === 'abort') throw new Aborted();
    orders.expectDecision();
    // Pods a drain must not evict (unmanaged, emptyDir) stop it at once, not at its timeout.
    const detail = result.timedOut
      ? `drain blocked after ${timeout} s`
      : `drain stopped at once: ${result.blocked.length} pod(s) it may not evict without the operator`;
    await reporter.report({ step: 'blocked', podsLeft: result.podsLeft, blocked: result.blocked, detail });
    await story.tell('DrainBlocked', drainBlocked(detail, result.podsLeft, result.blocked));
    const decision = await orders.decided();
    if (!decision) throw new Aborted();
    if (decision.action === 'skip') return 'skipped';
    if (decision.action === 'force') deletePods = forced = true;
    timeout = decision.timeoutSeconds ?? options.drainTimeoutSeconds;
  }
}

/** The pods a failed or cancelled drain had deleted (the activity's failure details say). */
function deletedIn(err: unknown): DrainResult['deleted'] {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const details = (e as { details?: unknown }).details;
    const first: unknown = Array.isArray(details) ? details[0] : undefined;
    const pods = (first as { deleted?: unknown } | undefined)?.deleted;
    if (Array.isArray(pods)) return pods as DrainResult['deleted'];
  }
  return undefined;
}
