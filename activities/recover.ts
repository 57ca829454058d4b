/**
 * `recover` on the worker: the nodes an ended upgrade left with its record on them are restored as the
 * upgrade itself would have put them back (only what it changed: kube/nodes.ts), every node's version
 * is read, and the cluster's record is left in a state a new upgrade starts from (model/recovery.ts).
 * A node is uncordoned only when it is Ready and, if a replacement started on it, at that
 * replacement's version, its command (if any) known to have ended: a node whose state is unknown
 * stays cordoned, named in the answer and the record.
 */
import type { V1Node } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../model/errors.js';
import type { RecoveredNode, RecoverRequest, Recovery } from '../model/recovery.js';
import { recoveredRecord } from '../model/recovery.js';
import type { ClusterRecord } from '../model/record.js';
import { sameVersion } from '../model/versions.js';
import { findCluster, findTemplate } from './catalogue/load.js';
import type { ActivityDeps } from './deps.js';
import { listNodes, nodeState, ourAnnotations, REPLACEMENT, restore } from './kube/nodes.js';
import { recordedRun } from './replace/record.js';

/** Why the node must stay as it is, or undefined when it may be put back. */
export function keepReason(node: V1Node): string | undefined {
  const state = nodeState(node);
  const run = recordedRun(node);
  if (run && run.exit === undefined) {
    return `its replacement command (run ${run.run}, ${run.key}, host ${run.host}) has no recorded end: it may still run`;
  }
  const key = node.metadata?.annotations?.[REPLACEMENT];
  const version = key?.split('/').pop() ?? '';
  if (key !== undefined && !sameVersion(state.kubeletVersion, version)) {
    return `its replacement to ${version} started (${key}) and it reports ${state.kubeletVersion || 'no version'}`;
  }
  if (!state.ready) return `not Ready at ${state.kubeletVersion || 'an unknown version'}`;
  return undefined;
}

export async function recoverNodes(
  { catalogue, kube: kubeFor, records }: ActivityDeps,
  request: RecoverRequest,
  heartbeat: (step: string) => void,
): Promise<Recovery> {
  const cat = catalogue();
  const cluster = findCluster(cat, request.cluster);
  const read = () => records.read(cat, cluster);
  /** The record as the caller saw it: no upgrade started since the caller found the last one ended. */
  const unchanged = (): ClusterRecord => {
    const record = read();
    if ((record.workflow_id ?? null) === request.upgradeId) return record;
    throw ApplicationFailure.nonRetryable(
      `cluster ${cluster.name}'s record names upgrade ${record.workflow_id ?? '(none)'}, not ${request.upgradeId ?? '(none)'}: ` +
        'an upgrade started meanwhile (or the caller did not give the one the record names); recover leaves its nodes alone',
      Failure.InvalidUpgrade,
    );
  };
  const before = unchanged();
  const target = before.target_template ? findTemplate(cat, before.target_template) : undefined;
  const targetVersion = target?.labels.kube_tag;

  const kube = kubeFor(cluster.name);
  const done = new Map<string, RecoveredNode>();
  const recovered = (node: V1Node, action: RecoveredNode['action'], detail: string): RecoveredNode => {
    const s = nodeState(node);
    const { name, role, kubeletVersion: version, ready, unschedulable } = s;
    return { name, role, version, ready, unschedulable, action, detail };
  };
  for (const node of await listNodes(kube)) {
    const name = node.metadata?.name ?? '';
    if (ourAnnotations(node).length === 0) continue;
    heartbeat(`recovering node ${name}`);
    const keep = keepReason(node);
    if (keep) {
      done.set(name, recovered(node, 'kept', keep));
      continue;
    }
    unchanged();
    try {
      const { undone } = await restore(kube, { name });
      done.set(name, recovered(node, 'restored', [...undone, "the upgrade's annotations removed"].join(', ')));
    } catch (err) {
      if (!(err instanceof ApplicationFailure && err.type === Failure.NodeNotFound)) throw err;
      done.set(name, recovered(node, 'gone', 'deleted from the cluster meanwhile'));
    }
  }

  // Every node as it is now, with what recover did to it.
  const now = (await listNodes(kube)).map((node) => {
    const was = done.get(node.metadata?.name ?? '');
    return recovered(node, was?.action ?? 'untouched', was?.detail ?? '');
  });
  const nodes = [
    ...now,
    ...[...done.values()].filter((d) => d.action === 'gone' && !now.some((n) => n.name === d.name)),
  ];
  const patch = recoveredRecord(
    before,
    nodes,
    target && targetVersion ? { template: target.name, version: targetVersion } : undefined,
  );
  if (!patch) return { cluster: cluster.name, targetVersion, nodes, before, record: before, recorded: false };
  const record: ClusterRecord = { ...unchanged(), ...patch, updated_at: new Date().toISOString() };
  records.write(record);
  return { cluster: cluster.name, targetVersion, nodes, before, record, recorded: true };
}
