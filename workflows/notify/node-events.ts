/**
 * Kubernetes Events on a Node, from the workflow at the point where each step happened. A local
 * activity, bounded and never cancelled (the Restored of an abort is told too); one that cannot be
 * written is logged by the activity and never fails or holds up the upgrade.
 */
import { CancellationScope, log, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { NodeEventReason, NodeEventRequest } from '../../activities/kube/events.js';

const events = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
});

/** Writes one Node Event; every failure is swallowed (logged). */
export async function nodeEvent(cluster: string, request: NodeEventRequest): Promise<void> {
  try {
    await CancellationScope.nonCancellable(() => events.nodeEvent({ cluster, ...request }));
  } catch (err) {
    log.warn(`the ${request.reason} Event of node ${request.node} was not written: ${(err as Error).message}`);
  }
}

/** One node's story during its upgrade: the upgrade and versions are said once, each step by its reason. */
export class NodeStory {
  /** the node's kubelet version before the upgrade (known once it is read) */
  fromVersion?: string;
  /** how many times each "node reason" was told: the Event's count */
  private readonly told: Record<string, number> = {};

  constructor(
    private readonly upgrade: {
      cluster: string;
      node: string;
      toVersion: string;
      upgradeId: string;
      upgradeRun?: string;
    },
  ) {}

  /** The Event `reason` on the node (or on `node`, a surge node), saying `detail`. */
  async tell(
    reason: NodeEventReason,
    detail: string,
    { warning = false, node = this.upgrade.node } = {},
  ): Promise<void> {
    const { cluster, toVersion, upgradeId, upgradeRun } = this.upgrade;
    const occurrence = (this.told[`${node} ${reason}`] = (this.told[`${node} ${reason}`] ?? 0) + 1);
    await nodeEvent(cluster, {
      node,
      reason,
      detail,
      occurrence,
      ...(warning ? { warning } : {}),
      upgradeId,
      ...(upgradeRun ? { upgradeRun } : {}),
      ...(this.fromVersion ? { fromVersion: this.fromVersion } : {}),
      toVersion,
    });
  }

  /** Restored: the node put back as it was (`kept`: why it stays cordoned nonetheless). */
  async restored(what: string, kept?: string, warning = false): Promise<void> {
    await this.tell('Restored', kept ? `${what}; LEFT CORDONED: ${kept}` : what, { warning: warning || Boolean(kept) });
  }

  /** After its replacement: Uncordoned, or Restored when it stays cordoned (as it was, or `kept`). */
  async putBack(wasCordoned: boolean, kept: string | undefined, what: string): Promise<void> {
    if (kept) await this.restored(`${what}; not uncordoned`, kept);
    else if (wasCordoned) await this.tell('Restored', `${what}; left cordoned, as it was before the upgrade`);
    else await this.tell('Uncordoned', `uncordoned: ${what}`);
  }
}
