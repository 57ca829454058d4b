/**
 * The benches' workloads: Deployments of pause pods, each under a PodDisruptionBudget, so that drained
 * pods are recreated by the real ReplicaSet controller and scheduler and evictions meet real budgets;
 * and the wait until they are all Running and Ready with their budgets observed.
 */
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { log } from './report.js';
import type { Apis } from './kube.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Workload {
  name: string;
  namespace: string;
  replicas: number;
  /** terminationGracePeriodSeconds: kwok holds a deleted pod that long */
  graceSeconds: number;
  /** the budget's maxUnavailable */
  maxUnavailable: number | string;
  /** more of the pod spec (node selector, tolerations, volumes) */
  pod?: Partial<V1PodSpec>;
}

/** A Deployment and its PodDisruptionBudget, selecting the pods by `app: <name>`. */
export function deploymentWithBudget(w: Workload): object[] {
  const labels = { app: w.name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: w.namespace, labels },
      spec: {
        replicas: w.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...w.pod,
            terminationGracePeriodSeconds: w.graceSeconds,
            containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: w.name, namespace: w.namespace },
      spec: { maxUnavailable: w.maxUnavailable, selector: { matchLabels: labels } },
    },
  ];
}

/** A namespace with `pods` pods in Deployments of up to `replicas` (app-000, app-001, …), each with a budget. */
export function spreadWorkloads(
  namespace: string,
  pods: number,
  replicas: number,
  graceSeconds: number,
  maxUnavailable: string,
): object[] {
  const items: object[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }];
  for (let i = 0; i * replicas < pods; i++) {
    const name = `app-${String(i).padStart(3, '0')}`;
    items.push(
      ...deploymentWithBudget({
        name,
        namespace,
        replicas: Math.min(replicas, pods - i * replicas),
        graceSeconds,
        maxUnavailable,
      }),
    );
  }
  return items;
}

/** Running, Ready and not being deleted. */
export const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Waits for every pod of the namespace Running and Ready and every budget observed and satisfied;
 * fails when no pod became Ready for 300 s, or after `timeoutMs`.
 */
export async function waitWorkloads(k: Apis, namespace: string, pods: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  let best = -1;
  let progressAt = Date.now();
  for (;;) {
    const deployments = (await k.apps.listNamespacedDeployment({ namespace })).items;
    const ready = deployments.reduce(
      (sum, d) => sum + Math.min(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 0),
      0,
    );
    const budgets = (await k.policy.listNamespacedPodDisruptionBudget({ namespace })).items;
    const observed = budgets.filter(
      (b) =>
        (b.status?.observedGeneration ?? 0) >= (b.metadata?.generation ?? 1) &&
        b.status!.currentHealthy >= b.status!.desiredHealthy &&
        b.status!.expectedPods ===
          (deployments.find((d) => d.metadata?.name === b.metadata?.name)?.spec?.replicas ?? -1),
    ).length;
    if (ready === pods && observed === budgets.length) break;
    if (ready > best) {
      best = ready;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 300_000) {
      throw new Error(`no pod became Ready for 300 s: ${ready}/${pods} Ready`);
    }
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(`  pods ready ${ready}/${pods}, budgets observed ${observed}/${budgets.length}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${ready}/${pods} pods ready, ${observed} budgets observed`);
    await sleep(2000);
  }
  // Count the pods themselves (the Deployments' figures come from the controllers).
  let running = 0;
  let total = 0;
  let _continue: string | undefined;
  do {
    const page = await k.core.listNamespacedPod({ namespace, limit: 2000, _continue });
    total += page.items.length;
    running += page.items.filter(isReady).length;
    _continue = page.metadata?._continue;
  } while (_continue);
  if (running !== pods || total !== pods)
    throw new Error(`expected ${pods} Running/Ready pods, found ${running} of ${total}`);
}
