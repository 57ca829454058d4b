/**
 * Node state: list, snapshot (before anything is touched), cordon, and restore. What the upgrade
 * changes on a node is recorded on the node itself, in annotations under `k8s-rolling-upgrade/`
 * (`kubectl describe node` says who and what): restore undoes exactly that record and leaves alone
 * whatever others changed meanwhile (a taint from node-problem-detector, an operator's label or
 * cordon). Every write is a merge patch made against the node as just read (its resourceVersion):
 * a node changed in between is read again, and running any of them twice is harmless.
 */
import { type V1Node, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../model/errors.js';
import type { NodeChanges, NodeSnapshot, NodeState } from '../../model/kube.js';
import { sameVersion } from '../../model/versions.js';
import type { ReplaceRun } from '../replace/runs.js';
import { call, classify, type Kube, statusCode } from './client.js';

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
/** Every annotation the upgrade writes starts with this: they are all removed on restore. */
export const OURS = 'k8s-rolling-upgrade/';
/** The upgrade that cordoned the node (present only when the upgrade set spec.unschedulable). */
export const CORDONED_BY = `${OURS}cordoned-by`;
/** JSON `NodeChanges`: what the upgrade changed on the node, so what restore undoes. */
export const CHANGES = `${OURS}changes`;
/** The replacement started on the node, by its key `<upgrade id>/<node>/<target version>`. */
export const REPLACEMENT = `${OURS}replacement`;
/** JSON `ReplaceRun`: the command provider's run on the node (written by ../replace/record.ts). */
export const REPLACE_RUN = `${OURS}replace-run`;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function nodeState(node: V1Node): NodeState {
  const labels = node.metadata?.labels ?? {};
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {
    name: node.metadata?.name ?? '',
    role: CONTROL_PLANE_LABEL in labels || 'node-role.kubernetes.io/master' in labels ? 'control-plane' : 'worker',
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '',
    ready,
    unschedulable: node.spec?.unschedulable === true,
  };
}

export async function listNodes(kube: Kube): Promise<V1Node[]> {
  return (await call(kube, 'list', 'nodes', () => kube.core.listNode())).items;
}

/** The node, or undefined when it does not exist (yet, or any more). */
export async function readNode(kube: Kube, name: string): Promise<V1Node | undefined> {
  try {
    return await kube.core.readNode({ name });
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw classify(err, kube, 'get', `node ${name}`);
  }
}

/** The keys of the upgrade's own annotations on the node. */
export function ourAnnotations(node: V1Node): string[] {
  return Object.keys(node.metadata?.annotations ?? {}).filter((k) => k.startsWith(OURS));
}

/**
 * What the upgrade changed on the node, from its record; undefined when the node carries none. A
 * record that does not parse (edited by hand) still says, by `cordoned-by`, that the upgrade cordoned it.
 */
export function changesOf(node: V1Node): NodeChanges | undefined {
  const annotations = node.metadata?.annotations ?? {};
  const cordoned = annotations[CORDONED_BY] !== undefined;
  const raw = annotations[CHANGES];
  const none: NodeChanges = { cordoned, taints: [], labels: [] };
  if (raw === undefined) return cordoned ? none : undefined;
  try {
    const r = JSON.parse(raw) as Partial<NodeChanges>;
    return {
      cordoned: cordoned && r.cordoned !== false,
      taints: Array.isArray(r.taints)
        ? r.taints.filter((t) => typeof t?.key === 'string' && typeof t.effect === 'string')
        : [],
      labels: Array.isArray(r.labels) ? r.labels.filter((l) => typeof l === 'string') : [],
    };
  } catch {
    return none;
  }
}

/** The run recorded on the node, if any (a malformed value counts as none, and is overwritten). */
export function recordedRun(node: V1Node | undefined): ReplaceRun | undefined {
  const text = node?.metadata?.annotations?.[REPLACE_RUN];
  if (!text) return undefined;
  try {
    const run = JSON.parse(text) as ReplaceRun;
    return typeof run.key === 'string' && typeof run.run === 'string' && typeof run.host === 'string' ? run : undefined;
  } catch {
    return undefined;
  }
}

/** What this machine knows of a recorded run with no end (activities/replace/local.ts's localRunEnded). */
export type LocalEnd = (run: NonNullable<ReturnType<typeof recordedRun>>) => 'running' | { exit: string } | 'unknown';

/**
 * Why the node must stay as it is (cordoned, its record kept), or undefined when it may be put back:
 * its replacement command has no recorded end (it may still run), a replacement started on it has not
 * reached its version, or it is not Ready. Its state is unknown: nothing uncordons it, neither the
 * upgrade that finds it so (a later one, after an earlier one's replacement failed) nor `recover`.
 */
export function keepReason(node: V1Node, localEnd?: LocalEnd): string | undefined {
  const state = nodeState(node);
  const run = recordedRun(node);
  if (run && run.exit === undefined) {
    // This machine may know better: the run's own files say how it ended (a lost attempt's command).
    const local = localEnd?.(run);
    const where = `run ${run.run}, ${run.key}, host ${run.host}`;
    if (local === 'running') return `its replacement command (${where}) still runs on this machine`;
    if (local === undefined || local === 'unknown') {
      return `its replacement command (${where}) has no recorded end: it may still run (once it surely has ended: kubectl annotate node ${node.metadata?.name ?? ''} ${REPLACE_RUN}-)`;
    }
  }
  const key = node.metadata?.annotations?.[REPLACEMENT];
  const version = key?.split('/').pop() ?? '';
  if (key !== undefined && !sameVersion(state.kubeletVersion, version)) {
    return `its replacement to ${version} started (${key}) and it reports ${state.kubeletVersion || 'no version'}`;
  }
  if (!state.ready) return `not Ready at ${state.kubeletVersion || 'an unknown version'}`;
  return undefined;
}

/** Whether the upgrade cordoned the node (and so may uncordon it). */
export const cordonedByUs = (node: V1Node) => changesOf(node)?.cordoned === true;

/**
 * The node's state before the upgrade. A cordon left by an earlier upgrade (its record says so) is
 * not the node's own state: it was schedulable before that upgrade touched it.
 */
export function snapshotOf(node: V1Node): NodeSnapshot {
  return {
    name: node.metadata?.name ?? '',
    unschedulable: node.spec?.unschedulable === true && !cordonedByUs(node),
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    labels: { ...(node.metadata?.labels ?? {}) },
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    capacity: { ...(node.status?.capacity ?? {}) },
  };
}

/**
 * The annotations that record a cordon by `upgradeId` of a node in this state, or undefined when
 * someone else cordoned it (it stays theirs: nothing is changed or recorded). A record already on the
 * node (a retry, an earlier upgrade's leftover) is kept.
 */
export function cordonRecord(node: V1Node, upgradeId: string): Record<string, string> | undefined {
  const before = changesOf(node);
  if (node.spec?.unschedulable === true && !before?.cordoned) return undefined;
  const changes: NodeChanges = { cordoned: true, taints: before?.taints ?? [], labels: before?.labels ?? [] };
  return { [CORDONED_BY]: upgradeId, [CHANGES]: JSON.stringify(changes) };
}

/** The merge patch that undoes the node's record, or undefined when there is nothing of ours on it. */
export function restorePatch(node: V1Node): { patch: object; undone: string[] } | undefined {
  const keys = ourAnnotations(node);
  if (keys.length === 0) return undefined;
  const changes = changesOf(node) ?? { cordoned: false, taints: [], labels: [] };
  const undone: string[] = [];
  const spec: Record<string, unknown> = {};
  if (changes.cordoned && node.spec?.unschedulable === true) {
    spec.unschedulable = null;
    undone.push('uncordoned');
  }
  const taints = node.spec?.taints ?? [];
  const added = (t: { key: string; effect: string }) =>
    changes.taints.some((c) => c.key === t.key && c.effect === t.effect);
  if (taints.some(added)) {
    spec.taints = taints.filter((t) => !added(t));
    undone.push(...taints.filter(added).map((t) => `taint ${t.key}:${t.effect} removed`));
  }
  const present = changes.labels.filter((l) => l in (node.metadata?.labels ?? {}));
  undone.push(...present.map((l) => `label ${l} removed`));
  return {
    patch: {
      metadata: {
        resourceVersion: node.metadata?.resourceVersion,
        annotations: Object.fromEntries(keys.map((k) => [k, null])),
        ...(present.length > 0 ? { labels: Object.fromEntries(present.map((l) => [l, null])) } : {}),
      },
      ...(Object.keys(spec).length > 0 ? { spec } : {}),
    },
    undone,
  };
}

const gone = (kube: Kube, name: string) =>
  ApplicationFailure.nonRetryable(`node ${name} does not exist in cluster ${kube.cluster}`, Failure.NodeNotFound);

/**
 * Reads the node, asks `change` for a merge patch against what it read (undefined: nothing to do) and
 * applies it only to that version of the node; a node changed in between (409) is read again.
 * Throws NodeNotFound when the node does not exist.
 */
async function update<T>(
  kube: Kube,
  name: string,
  verb: string,
  change: (node: V1Node) => { patch?: object; result: T },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const node = await readNode(kube, name);
    if (!node) throw gone(kube, name);
    const { patch, result } = change(node);
    if (!patch) return result;
    try {
      await kube.core.patchNode({ name, body: patch }, MERGE);
      return result;
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) throw gone(kube, name);
      // Another writer (the node's status heartbeat, a controller, an operator) got in first.
      if (code === 409 && attempt < 5) continue;
      if (code === 409) {
        throw ApplicationFailure.retryable(
          `${verb} node ${name}: the node changed under each of 5 writes (409 Conflict)`,
          Failure.KubeApiError,
        );
      }
      throw classify(err, kube, verb, `node ${name}`);
    }
  }
}

/**
 * Cordons the node and records that `upgradeId` did it; a node someone else cordoned is left as it is
 * (returns false) and so is never uncordoned by the upgrade.
 */
export async function cordon(kube: Kube, name: string, upgradeId: string): Promise<{ cordoned: boolean }> {
  return await update<{ cordoned: boolean }>(kube, name, 'cordon', (node) => {
    const annotations = cordonRecord(node, upgradeId);
    if (!annotations) return { result: { cordoned: false } };
    const current = node.metadata?.annotations ?? {};
    const done = node.spec?.unschedulable === true && Object.entries(annotations).every(([k, v]) => current[k] === v);
    if (done) return { result: { cordoned: true } };
    const patch = {
      metadata: { resourceVersion: node.metadata?.resourceVersion, annotations },
      spec: { unschedulable: true },
    };
    return { patch, result: { cordoned: true } };
  });
}

/** What putting a node back did: restored (`undone` lists what), or kept as it is, and why. */
export interface Restored {
  /** false: the node was left as it is, cordoned if it was, with the upgrade's record on it (`kept`) */
  restored: boolean;
  undone: string[];
  kept?: string;
}

/**
 * Undoes what the upgrade recorded on the node (uncordon only if the upgrade cordoned it; only the
 * taints and labels it added) and removes its annotations; says what it undid. A node whose state is
 * unknown (`keepReason`), or that `guard` (given the node as read, in the same step as the write)
 * says to keep, is left as it is, its record on it. Throws NodeNotFound (non-retryable) when the node
 * no longer exists: there is nothing to put back.
 */
export async function restore(
  kube: Kube,
  snapshot: Pick<NodeSnapshot, 'name'>,
  guard?: (node: V1Node) => string | undefined,
  localEnd?: LocalEnd,
): Promise<Restored> {
  return await update<Restored>(kube, snapshot.name, 'uncordon', (node) => {
    const r = restorePatch(node);
    if (!r) return { result: { restored: true, undone: [] } };
    const kept = guard?.(node) ?? keepReason(node, localEnd);
    if (kept) return { result: { restored: false, undone: [], kept } };
    return { patch: r.patch, result: { restored: true, undone: r.undone } };
  });
}

/** `<upgrade id>/<node>/<target version>`: the replacement's idempotency key. */
export const replacementKey = (upgradeId: string, node: string, targetVersion: string) =>
  `${upgradeId}/${node}/${targetVersion}`;
