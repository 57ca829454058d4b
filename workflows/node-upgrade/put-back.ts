/** Restoring a node to its snapshot (uncordon, or compensation): never interrupted by a cancellation. */
import { CancellationScope } from '@temporalio/workflow';
import type { Restored } from '../../activities/kube/nodes.js';
import type { NodeSnapshot } from '../../model/kube.js';
import type { NodeReport } from '../../model/status.js';
import { putBack } from './activities.js';

/**
 * Puts back what the upgrade changed on the node. Returns why it stayed cordoned when restore kept it
 * so (a node whose replacement, by this or an earlier upgrade, has not been seen to succeed).
 */
export async function putBackNode(cluster: string, snapshot: NodeSnapshot): Promise<string | undefined> {
  // undefined from a worker of an earlier build, whose restoreNode returned nothing
  const done: Restored | undefined = await CancellationScope.nonCancellable(() =>
    putBack.restoreNode({ cluster, snapshot }),
  );
  return done?.kept || undefined;
}

/** What a report says of a node after `putBackNode`: cordoned as before, or kept cordoned and why. */
export function afterPutBack(snapshot: NodeSnapshot, kept: string | undefined, detail: string): Partial<NodeReport> {
  if (!kept) return { cordoned: snapshot.unschedulable, detail };
  return { cordoned: true, leftCordoned: true, detail: `${detail}; LEFT CORDONED: ${kept}` };
}
