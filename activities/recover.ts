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
import { findCluster, findTemplate } from './catalogue/load.js';
import type { ActivityDeps } from './deps.js';
import { CORDONED_BY, type LocalEnd, listNodes, nodeState, ourAnnotations, restore } from './kube/nodes.js';

/**
 * The cluster's record as recover holds it: read as it stands, written when recover is done. Recover
 * holds the cluster's lock (workflows/upgrade-plan/recover.ts), so only it changes the record meanwhile.
 */
export interface HeldRecord {
  read(): ClusterRecord;
  write(record: ClusterRecord): Promise<unknown> | void;
}

export async function recoverNodes(
  { catalogue, kube: kubeFor, record: held }: Pick<ActivityDeps, 'catalogue' | 'kube'> & { record: HeldRecord },
  request: RecoverRequest,
  heartbeat: (step: string) => void,
  /** what this machine's run files say of a replacement command with no recorded end */
  localEnd?: LocalEnd,
): Promise<Recovery> {
  const cat = catalogue();
  const cluster = findCluster(cat, request.cluster);
  const kube = kubeFor(cluster.name);
  const done = new Map<string, RecoveredNode>();
  const before = unchangedSince(held.read(), request, done);
  /** The record as the caller saw it: throws when it moved (an upgrade started meanwhile). */
  const unchanged = () => unchangedSince(held.read(), request, done);
  /** Only the ended upgrade's cordon is undone (checked on the node as read, in the step that writes it). */
  const notItsCordon = (node: V1Node): string | undefined => {
    unchanged();
    const by = node.metadata?.annotations?.[CORDONED_BY];
    if (request.upgradeId === null || by === undefined || by === request.upgradeId) return undefined;
    return `cordoned by upgrade ${by}, not by ${request.upgradeId} (the one the record names): left to it`;
  };
  const target = before.target_template ? findTemplate(cat, before.target_template) : undefined;
  const targetVersion = target?.labels.kube_tag;

  const recovered = (node: V1Node, action: RecoveredNode['action'], detail: string): RecoveredNode => {
    const s = nodeState(node);
    const { name, role, kubeletVersion: version, ready, unschedulable } = s;
    return { name, role, version, ready, unschedulable, action, detail };
  };
  for (const node of await listNodes(kube)) {
    const name = node.metadata?.name ?? '';
    if (ourAnnotations(node).length === 0) continue;
    heartbeat(`recovering node ${name}`);
    try {
      const { kept, undone } = await restore(kube, { name }, notItsCordon, localEnd);
      if (kept) done.set(name, recovered(node, 'kept', kept));
      else done.set(name, recovered(node, 'restored', [...undone, "the upgrade's annotations removed"].join(', ')));
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
  await held.write(record);
  return { cluster: cluster.name, targetVersion, nodes, before, record, recorded: true };
}

/**
 * The record as read, when it is as the caller saw it (status, time of its last write, upgrade named):
 * otherwise an upgrade started meanwhile (every upgrade the CLI starts has the same id, so the id alone
 * does not tell), or another recover ran, and recover stops, naming what it finds and what it did.
 */
export function unchangedSince(
  record: ClusterRecord,
  seen: RecoverRequest,
  done: ReadonlyMap<string, RecoveredNode> = new Map(),
): ClusterRecord {
  const upgrade = record.workflow_id ?? null;
  if (record.status === seen.status && record.updated_at === seen.updatedAt && upgrade === seen.upgradeId) {
    return record;
  }
  const restored = [...done.values()].filter((n) => n.action === 'restored').map((n) => n.name);
  const so = restored.length > 0 ? `; restored before it saw this: ${restored.join(', ')}` : '; no node was touched';
  const now = `${record.status} at ${record.updated_at}, upgrade ${upgrade ?? '(none)'}`;
  const was = `${seen.status} at ${seen.updatedAt}, upgrade ${seen.upgradeId ?? '(none)'}`;
  if (/^UPDATE_(IN_PROGRESS|PAUSED)$/.test(record.status)) {
    throw ApplicationFailure.nonRetryable(
      `an upgrade of cluster ${record.cluster} started meanwhile (workflow ${upgrade ?? '(none)'}, ${record.status} ` +
        `since ${record.updated_at}; recover was asked for the record as ${was}): recover leaves its nodes alone${so}`,
      Failure.InvalidUpgrade,
    );
  }
  throw ApplicationFailure.nonRetryable(
    `cluster ${record.cluster}'s record changed meanwhile (${was} → ${now}): recover leaves the nodes alone${so}; ` +
      'run recover again to recover from the record as it is now',
    Failure.InvalidUpgrade,
  );
}
