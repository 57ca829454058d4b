/** Restoring a node to its snapshot (uncordon, or compensation): never interrupted by a cancellation. */
import { CancellationScope } from '@temporalio/workflow';
import type { NodeSnapshot } from '../../model/kube.js';
import { putBack } from './activities.js';

export async function putBackNode(cluster: string, snapshot: NodeSnapshot): Promise<void> {
  await CancellationScope.nonCancellable(() => putBack.restoreNode({ cluster, snapshot }));
}
