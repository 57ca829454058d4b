/**
 * Replacing a node in place and waiting for it to be Ready at the new version. Once started it runs to
 * its end whatever arrives (an abort or a cancellation waits for it: a half-replaced node helps nobody).
 * A replacement that fails leaves the node cordoned — its version and readiness are unknown, so it is
 * never uncordoned — and parks it for the operator with the provider's reason: `retryReplace` runs
 * the replacement again, `skipNode` leaves the node cordoned and goes on, `abort` stops the upgrade.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { NodeSnapshot } from '../../model/kube.js';
import { rootCause } from '../cause.js';
import type { NodeStory } from '../notify/node-events.js';
import { long } from './activities.js';
import type { Orders } from './orders.js';
import type { Reporter } from './report.js';
import type { NodeUpgradeInput } from './types.js';

/** 'replaced' (Ready at the target version, still cordoned), or what the operator decided instead. */
export type Replaced = { outcome: 'replaced'; version: string } | { outcome: 'skipped' | 'aborted'; reason: string };

export async function replace(
  { cluster, node, toVersion, upgradeId, upgradeRun, options }: NodeUpgradeInput,
  snapshot: NodeSnapshot,
  orders: Orders,
  reporter: Reporter,
  story: NodeStory,
): Promise<Replaced> {
  const activities = long(options.nodeReadyTimeoutSeconds);
  for (;;) {
    await reporter.report({ step: 'replace', podsLeft: 0, blocked: [], detail: `replacing with ${toVersion}` });
    await story.tell('Replacing', `replacing the node with one at ${toVersion}`);
    let reason: string;
    try {
      const version = await CancellationScope.nonCancellable(async () => {
        await activities.replaceNode({
          cluster,
          snapshot,
          targetVersion: toVersion,
          upgradeId,
          ...(upgradeRun ? { upgradeRun } : {}),
        });
        await reporter.report({ step: 'wait-ready' });
        const ready = await activities.waitNodeReady({
          cluster,
          node,
          targetVersion: toVersion,
          timeoutSeconds: options.nodeReadyTimeoutSeconds,
        });
        return ready.version;
      });
      await story.tell('Replaced', `replaced: Ready at ${version}`);
      return { outcome: 'replaced', version };
    } catch (err) {
      reason = rootCause(err);
    }
    if (orders.aborted) return { outcome: 'aborted', reason };
    orders.expectDecision();
    await reporter.report({
      step: 'replace-failed',
      cordoned: true,
      detail: `replacement failed: ${reason}; the node stays cordoned until an operator decides (retryReplace, skipNode or abort)`,
    });
    const decision = await orders.decided();
    if (!decision) return { outcome: 'aborted', reason };
    if (decision.action === 'skip') return { outcome: 'skipped', reason };
  }
}
