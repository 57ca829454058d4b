/**
 * Every activity the worker registers, as thin wrappers that give the domain code its dependencies
 * (catalogue, API clients, the Temporal client: given once, at worker start), its heartbeats and
 * cancellation-aware sleeps. Workflows import this module only as a type. All are idempotent.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { HolderRef } from '../model/lock.js';
import type { ClusterRecord } from '../model/record.js';
import type { RecoverRequest } from '../model/recovery.js';
import type { NodeSnapshot, NodeState } from '../model/kube.js';
import type { UpgradeOptions } from '../model/upgrade.js';
import { findCluster } from './catalogue/load.js';
import { type ActivityDeps, DEFAULT_STATE_DIR } from './deps.js';
import { type Deleted, drainNode, type DrainRequest, withDeleted } from './kube/drain.js';
import { gateUntilHealthy, type GateRequest } from './kube/health.js';
import { cordon, listNodes, nodeState, readNode, type Restored, restore, snapshotOf } from './kube/nodes.js';
import { planUpgrade, replaceTiming } from './kube/plan.js';
import { waitNodeReady } from './kube/ready.js';
import { runSmokePod, type SmokeRequest } from './kube/smoke.js';
import { replaceWithCommand } from './replace/command.js';
import { replaceWithKwok, retireWithKwok, surgeWithKwok } from './replace/kwok.js';
import { recoverNodes } from './recover.js';
import { localRunEnded } from './replace/local.js';
import { notifyActivities } from './notify/index.js';
import { countGateFailures } from './metrics.js';
import { recordActivities } from './record/activities.js';
import { Failure } from '../model/errors.js';

const sleep = (ms: number) => Context.current().sleep(ms);
const beat = (details: unknown) => Context.current().heartbeat(details);

export function createActivities({ catalogue, kube: kubeFor, temporal, stateDir }: ActivityDeps) {
  const records = recordActivities({ catalogue, temporal });
  return {
    // validateUpgrade, acquireCluster, patchClusterRecord, releaseCluster, holderState: the record in Temporal
    ...records,

    /** Webhooks and Node Events (./notify): best effort, they never fail an upgrade. */
    ...notifyActivities(catalogue, kubeFor),

    /** The pre-flight report: node order, budgets' headroom, warnings, estimate. Reads only. */
    async planUpgrade(input: { cluster: string; fromVersion: string; toVersion: string; options: UpgradeOptions }) {
      const cluster = findCluster(catalogue(), input.cluster);
      return await planUpgrade(
        kubeFor(input.cluster),
        input.fromVersion,
        input.toVersion,
        input.options,
        replaceTiming(cluster.replace),
      );
    },

    /**
     * The health gate, retried inside until healthy or its timeout; returns the last result. Probes
     * reach only the hosts the cluster's catalogue entry allows, as it stands now.
     */
    async healthGate(input: { cluster: string; timeoutSeconds: number } & GateRequest) {
      const result = await gateUntilHealthy(kubeFor(input.cluster), input, input.timeoutSeconds * 1000, {
        sleep,
        heartbeat: beat,
        signal: Context.current().cancellationSignal,
        probeHosts: () => findCluster(catalogue(), input.cluster).probeHosts ?? [],
        exclusions: () => findCluster(catalogue(), input.cluster).health?.exclude,
      });
      countGateFailures(input.cluster, result);
      return result;
    },

    /** Every node with its version and state (for the status at the end). */
    async nodeStates(cluster: string): Promise<NodeState[]> {
      return (await listNodes(kubeFor(cluster))).map(nodeState);
    },

    /** Records the node's state before the upgrade touches it. */
    async snapshotNode(input: {
      cluster: string;
      node: string;
    }): Promise<{ snapshot: NodeSnapshot; state: NodeState }> {
      const node = await readNode(kubeFor(input.cluster), input.node);
      if (!node)
        throw ApplicationFailure.nonRetryable(
          `node ${input.node} does not exist in cluster ${input.cluster}`,
          Failure.NodeNotFound,
        );
      return { snapshot: snapshotOf(node), state: nodeState(node) };
    },

    async cordonNode(input: { cluster: string; node: string; upgradeId: string }): Promise<void> {
      await cordon(kubeFor(input.cluster), input.node, input.upgradeId);
    },

    /** Restores the snapshot's schedulability, taints and labels (uncordon, or compensation). */
    async restoreNode(input: { cluster: string; snapshot: NodeSnapshot }): Promise<Restored> {
      return await restore(kubeFor(input.cluster), input.snapshot, undefined, (run) =>
        localRunEnded(stateDir ?? DEFAULT_STATE_DIR, run),
      );
    },

    async drainNode(input: { cluster: string } & DrainRequest) {
      const ctx = Context.current();
      const before = ctx.info.heartbeatDetails as { deleted?: Deleted } | undefined;
      const deleted: Deleted = Array.isArray(before?.deleted) ? [...before.deleted] : [];
      try {
        return await drainNode(kubeFor(input.cluster), input, {
          heartbeat: beat,
          sleep,
          checkCancelled: () => ctx.cancellationSignal.throwIfAborted(),
          deleted,
        });
      } catch (err) {
        // Ended by the workflow (an abort), not by a worker shutdown or a lost attempt (those retry).
        throw withDeleted(err, deleted, ctx.cancellationDetails?.cancelRequested === true);
      }
    },

    /** Replaces the node by its cluster's provider; a node already at the target version is left alone. */
    async replaceNode(input: {
      cluster: string;
      snapshot: NodeSnapshot;
      targetVersion: string;
      upgradeId: string;
      /** the upgrade's first run id (stable across continue-as-new): makes the command's key unique per upgrade */
      upgradeRun?: string;
    }) {
      const cluster = findCluster(catalogue(), input.cluster);
      const kube = kubeFor(input.cluster);
      const ctx = Context.current();
      const hooks = { heartbeat: beat, sleep, signal: ctx.cancellationSignal };
      if (cluster.replace.provider === 'kwok') {
        return await replaceWithKwok(
          kube,
          input.snapshot,
          input.targetVersion,
          input.upgradeId,
          cluster.replace.delaySeconds,
          hooks,
        );
      }
      const { targetVersion, upgradeId, upgradeRun } = input;
      const request = { node: input.snapshot.name, targetVersion, upgradeId, upgradeRun };
      const settings = { cluster: { ...cluster, replace: cluster.replace }, stateDir: stateDir ?? DEFAULT_STATE_DIR };
      return await replaceWithCommand({ kube, ...request, ...settings }, ctx);
    },

    /** maxSurge: registers a new node at the target version in place of `snapshot`'s (kwok provider). */
    async surgeNode(input: { cluster: string; snapshot: NodeSnapshot; targetVersion: string; upgradeId: string }) {
      const cluster = findCluster(catalogue(), input.cluster);
      if (cluster.replace.provider !== 'kwok') {
        throw ApplicationFailure.nonRetryable(
          `cluster ${cluster.name}'s provider '${cluster.replace.provider}' cannot register new nodes (maxSurge)`,
          Failure.SurgeUnsupported,
        );
      }
      const hooks = { heartbeat: beat, sleep, signal: Context.current().cancellationSignal };
      return await surgeWithKwok(
        kubeFor(input.cluster),
        input.snapshot,
        input.targetVersion,
        input.upgradeId,
        cluster.replace.delaySeconds,
        hooks,
      );
    },

    /** maxSurge: removes the drained old node. */
    async retireNode(input: { cluster: string; node: string }): Promise<void> {
      const hooks = { heartbeat: beat, sleep, signal: Context.current().cancellationSignal };
      await retireWithKwok(kubeFor(input.cluster), input.node, hooks);
    },

    async waitNodeReady(input: { cluster: string; node: string; targetVersion: string; timeoutSeconds: number }) {
      return await waitNodeReady(kubeFor(input.cluster), input.node, input.targetVersion, input.timeoutSeconds * 1000, {
        heartbeat: beat,
        sleep,
      });
    },

    /** The smoke pod on a node just uncordoned, by the cluster's `smoke:` settings as they stand now. */
    async smokePod(input: SmokeRequest) {
      const { smoke } = findCluster(catalogue(), input.cluster);
      return await runSmokePod(kubeFor(input.cluster), smoke, input, { heartbeat: beat, sleep });
    },

    /**
     * `recover`: puts back the nodes an ended upgrade left, and leaves the record startable. The caller
     * holds the cluster's lock (`holder`) and sends the record the lock was granted with (`held`).
     */
    async recoverNodes(input: RecoverRequest & { held: ClusterRecord; holder: HolderRef }) {
      const { held, holder, ...request } = input;
      let record = held;
      const access = {
        read: () => record,
        write: async (next: ClusterRecord) => {
          const patch: Partial<ClusterRecord> = { ...next };
          delete patch.cluster; // the entity's own fields
          delete patch.updated_at;
          record = await records.patchClusterRecord({ cluster: next.cluster, holder, patch });
        },
      };
      return await recoverNodes({ catalogue, kube: kubeFor, record: access }, request, beat, (run) =>
        localRunEnded(stateDir ?? DEFAULT_STATE_DIR, run),
      );
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
