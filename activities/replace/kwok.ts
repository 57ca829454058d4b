/**
 * The `kwok` provider (simulated clusters): replacing a node removes its Node object and, after the
 * configured delay (the time a real machine takes to boot), registers it again as a kubelet at the
 * new version would, keeping the node's identity as it was just before its deletion: its name, labels,
 * annotations and taints (an operator's label or a taint added during the upgrade survives), the new
 * kubeletVersion, still cordoned (the upgrade uncordons it after the Ready check, if it cordoned it)
 * and marked with the replacement's key. kwok then marks it Ready.
 *
 * Idempotent: a node already at the target version is left alone, so a retry after a crash never
 * replaces a node twice; a node found missing (crash between delete and create) is only registered,
 * then from the snapshot taken before the upgrade touched it.
 *
 * Surge (maxSurge): a new node, named after the old one and the version, is registered at the new
 * version before the old one is drained; the old one is then retired (its Node object deleted).
 */
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { NodeSnapshot } from '../../model/kube.js';
import { surgeSnapshot } from '../../model/surge.js';
import { sameVersion } from '../../model/versions.js';
import { classify, type Kube, statusCode } from '../kube/client.js';
import { deletePodNow, podsOn } from '../kube/drain.js';
import { cordonRecord, readNode, REPLACEMENT, replacementKey } from '../kube/nodes.js';
import type { ReplaceHooks, ReplaceResult } from './provider.js';
import { Failure } from '../../model/errors.js';

/** What a simulated kubelet reports about itself. */
export function kwokNodeInfo(kubeletVersion: string) {
  return {
    kubeletVersion,
    kubeProxyVersion: kubeletVersion,
    containerRuntimeVersion: 'containerd://1.7.0',
    architecture: 'amd64',
    operatingSystem: 'linux',
    osImage: 'kwok',
    kernelVersion: 'kwok',
    bootID: '',
    machineID: '',
    systemUUID: '',
  };
}

/**
 * Taints the node lifecycle controller keeps in step with a node's conditions and spec: not carried
 * over to the new registration (the controller sets them again as they apply to the new node).
 */
const CONTROLLER_TAINTS = new Set(
  [
    'not-ready',
    'unreachable',
    'unschedulable',
    'memory-pressure',
    'disk-pressure',
    'pid-pressure',
    'network-unavailable',
  ].map((t) => `node.kubernetes.io/${t}`),
);

/** The node as the snapshot describes it (when its Node object is already gone, and for a surge node). */
export function describedBy(snapshot: NodeSnapshot): V1Node {
  return {
    metadata: { name: snapshot.name, labels: snapshot.labels },
    spec: { unschedulable: snapshot.unschedulable, taints: snapshot.taints as V1Taint[] },
    status: { addresses: snapshot.addresses, capacity: snapshot.capacity },
  };
}

/**
 * `node` (as it is, or as described) registered again at `targetVersion`: its labels, annotations and
 * taints, cordoned — recorded as the upgrade's cordon unless someone else had cordoned it — and marked
 * with the replacement's key.
 */
export function registration(node: V1Node, targetVersion: string, upgradeId: string): V1Node {
  const name = node.metadata?.name ?? '';
  const capacity = node.status?.capacity ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { ...(node.metadata?.labels ?? {}) },
      annotations: {
        ...(node.metadata?.annotations ?? {}),
        ...cordonRecord(node, upgradeId),
        [REPLACEMENT]: replacementKey(upgradeId, name, targetVersion),
      },
    },
    spec: {
      unschedulable: true,
      taints: (node.spec?.taints ?? [])
        .filter((t) => !CONTROLLER_TAINTS.has(t.key))
        .map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    },
    status: {
      addresses: node.status?.addresses ?? [],
      capacity,
      allocatable: node.status?.allocatable ?? capacity,
      nodeInfo: kwokNodeInfo(targetVersion),
    },
  };
}

export async function replaceWithKwok(
  kube: Kube,
  snapshot: NodeSnapshot,
  targetVersion: string,
  upgradeId: string,
  delaySeconds: number,
  hooks: ReplaceHooks,
): Promise<ReplaceResult> {
  const name = snapshot.name;
  let node = await readNode(kube, name);
  if (node && sameVersion(node.status?.nodeInfo?.kubeletVersion ?? '', targetVersion)) {
    return { node: name, replaced: false, detail: `already at ${targetVersion}` };
  }
  if (node) {
    node = await remove(kube, node, hooks);
    const gone = Date.now() + 60_000;
    while (await readNode(kube, name)) {
      if (Date.now() > gone)
        throw ApplicationFailure.retryable(
          `node ${name} was deleted but is still there after 60 s`,
          Failure.NodeNotDeleted,
        );
      hooks.heartbeat('waiting for the old node to go');
      await hooks.sleep(50);
    }
  }
  await boot(kube, registration(node ?? describedBy(snapshot), targetVersion, upgradeId), delaySeconds, hooks);
  return { node: name, replaced: true, detail: `registered again at ${targetVersion} after ${delaySeconds} s` };
}

/**
 * Deletes the node as read, only if it is still that version of it (a label added in between would be
 * lost with it: then it is read again); returns the node as it was deleted, undefined when already gone.
 */
async function remove(kube: Kube, read: V1Node, hooks: ReplaceHooks): Promise<V1Node | undefined> {
  const name = read.metadata?.name ?? '';
  let node: V1Node | undefined = read;
  for (let attempt = 1; node; attempt++) {
    hooks.heartbeat('removing the old node');
    try {
      await kube.core.deleteNode({
        name,
        body: { preconditions: { resourceVersion: node.metadata?.resourceVersion } },
      });
      return node;
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) return undefined;
      if (code !== 409 || attempt >= 5) throw classify(err, kube, 'delete', `node ${name}`);
    }
    node = await readNode(kube, name);
  }
  return undefined;
}

/** The machine's boot time, then the kubelet's registration (a node already registered is fine). */
async function boot(kube: Kube, node: V1Node, delaySeconds: number, hooks: ReplaceHooks): Promise<void> {
  const until = Date.now() + delaySeconds * 1000;
  while (Date.now() < until) {
    hooks.heartbeat(`booting the new node (${Math.ceil((until - Date.now()) / 1000)} s left)`);
    await hooks.sleep(Math.min(1000, until - Date.now()));
  }
  hooks.heartbeat('registering the new node');
  try {
    await kube.core.createNode({ body: node });
  } catch (err) {
    if (statusCode(err) !== 409) throw classify(err, kube, 'create', `node ${node.metadata?.name ?? ''}`);
  }
}

/** Registers the surge node for `old` at the target version, cordoned until the upgrade finds it Ready. */
export async function surgeWithKwok(
  kube: Kube,
  old: NodeSnapshot,
  targetVersion: string,
  upgradeId: string,
  delaySeconds: number,
  hooks: ReplaceHooks,
): Promise<ReplaceResult> {
  const fresh = surgeSnapshot(old, targetVersion);
  if (await readNode(kube, fresh.name)) {
    return { node: fresh.name, replaced: false, detail: `${fresh.name} is already registered` };
  }
  await boot(kube, registration(describedBy(fresh), targetVersion, upgradeId), delaySeconds, hooks);
  return { node: fresh.name, replaced: true, detail: `registered ${fresh.name} at ${targetVersion}` };
}

/** Removes a drained node from the cluster (the machine is given back). Idempotent. */
export async function retireWithKwok(kube: Kube, name: string, hooks: ReplaceHooks): Promise<void> {
  try {
    await kube.core.deleteNode({ name });
  } catch (err) {
    if (statusCode(err) !== 404) throw classify(err, kube, 'delete', `node ${name}`);
  }
  const gone = Date.now() + 60_000;
  while (await readNode(kube, name)) {
    if (Date.now() > gone)
      throw ApplicationFailure.retryable(
        `node ${name} was deleted but is still there after 60 s`,
        Failure.NodeNotDeleted,
      );
    hooks.heartbeat(`waiting for node ${name} to go`);
    await hooks.sleep(50);
  }
  // The machine is gone, and so are its pods (DaemonSet pods): do not leave them for the pod GC's quarantine.
  for (const pod of await podsOn(kube, name)) await deletePodNow(kube, pod);
}
