/**
 * Node state: list, snapshot (before anything is touched), cordon, and restore (uncordon to the state
 * the snapshot recorded). Every change is a merge patch that converges: running it twice is harmless.
 * A node we cordoned carries an annotation naming the upgrade, so `kubectl describe node` says who.
 */
import { type V1Node, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NodeSnapshot, NodeState, Taint } from '../../model/kube.js';
import { call, classify, type Kube, statusCode } from './client.js';

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const CORDONED_BY = 'k8s-rolling-upgrade/cordoned-by';
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

/**
 * The node's state before the upgrade. A cordon left by an earlier upgrade (our annotation names it)
 * is not the node's own state: it was schedulable before that upgrade touched it.
 */
export function snapshotOf(node: V1Node): NodeSnapshot {
  const ours = node.metadata?.annotations?.[CORDONED_BY] !== undefined;
  return {
    name: node.metadata?.name ?? '',
    unschedulable: node.spec?.unschedulable === true && !ours,
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    labels: { ...(node.metadata?.labels ?? {}) },
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    capacity: { ...(node.status?.capacity ?? {}) },
  };
}

async function patch(kube: Kube, name: string, body: object, verb: string): Promise<void> {
  await call(kube, verb, `node ${name}`, () => kube.core.patchNode({ name, body }, MERGE));
}

/** Marks the node unschedulable and names the upgrade that did it. */
export async function cordon(kube: Kube, name: string, upgradeId: string): Promise<void> {
  await patch(
    kube,
    name,
    { spec: { unschedulable: true }, metadata: { annotations: { [CORDONED_BY]: upgradeId } } },
    'cordon',
  );
}

/** Puts back what the snapshot recorded: schedulability, taints, labels; drops our annotation. */
export async function restore(kube: Kube, snapshot: NodeSnapshot): Promise<void> {
  const taints: Taint[] = snapshot.taints.filter((t) => t.key !== 'node.kubernetes.io/unschedulable');
  await patch(
    kube,
    snapshot.name,
    {
      spec: { unschedulable: snapshot.unschedulable ? true : null, taints },
      metadata: { labels: snapshot.labels, annotations: { [CORDONED_BY]: null } },
    },
    'uncordon',
  );
}
