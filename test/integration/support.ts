/**
 * Shared by the integration tests: API clients for the local test cluster (through the fixture
 * catalogue, whose cluster kubeconfig is $K8S_RU_KUBECONFIG, set here to the test cluster's), polling, and
 * small readers of the seed's workloads.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { type V1Pod, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Kube } from '../../activities/kube/client.js';
import { nodeNames } from '../../localcluster/nodes.js';
import { clusterOptions, kubeconfigPath } from '../../localcluster/cluster.js';
import { testDeps } from '../support/temporal.js';

process.env.K8S_RU_CATALOGUE = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
process.env.K8S_RU_KUBECONFIG = kubeconfigPath(clusterOptions());

export const CLUSTER = 'k8s-upgrade-test';
export const NAMESPACE = 'default';
export const NGINX = 'nginx-deployment';
export const { masters: MASTERS, workers: WORKERS } = nodeNames(clusterOptions().layout);
export const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function kube(): Kube {
  return testDeps.kube(CLUSTER);
}

export { sleep };

/** Hooks for activities run outside Temporal: no heartbeats, plain timers. */
export const hooks = {
  heartbeat() {},
  sleep: (ms: number) => sleep(ms).then(() => undefined),
  signal: new AbortController().signal,
};

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

export const isReady = (pod: V1Pod) =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export async function pods(k: Kube, labelSelector: string, namespace = NAMESPACE): Promise<V1Pod[]> {
  return (await k.core.listNamespacedPod({ namespace, labelSelector })).items;
}

export const nginxPods = (k: Kube) => pods(k, 'app=nginx');

export async function scaleNginx(k: Kube, replicas: number): Promise<void> {
  await k.apps.patchNamespacedDeployment({ name: NGINX, namespace: NAMESPACE, body: { spec: { replicas } } }, MERGE);
}

/** Waits until nginx runs exactly `replicas` Ready pods and none is terminating (a clean start for the next test). */
export async function nginxSettled(k: Kube, replicas = 2): Promise<V1Pod[]> {
  return await waitFor(`nginx back to ${replicas} Ready pods`, 90_000, async () => {
    const all = await nginxPods(k);
    return all.length === replicas && all.every(isReady) && all;
  });
}
