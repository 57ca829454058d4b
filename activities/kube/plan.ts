/**
 * The pre-flight report (also the `plan` command): the order nodes will be upgraded in, each budget's
 * headroom, what the upgrade will interrupt or be blocked by, and an estimate of its duration.
 * Reads only; touches nothing.
 */
import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ReplaceProvider } from '../../model/catalogue.js';
import { type EstimateNode, type EstimatePod, estimateUpgrade, type Timing } from '../../model/estimate.js';
import type { UpgradePlan, UpgradeOptions } from '../../model/upgrade.js';
import { sameVersion } from '../../model/versions.js';
import { call, type Kube } from './client.js';
import { budgetName, budgetState, budgetsFor, neverAllows } from './budgets.js';
import { planDrain } from './drain-plan.js';
import { listNodes, nodeState } from './nodes.js';

const POD_PAGE = 500;

/**
 * How long a command replacement is taken to last: a `kubeadm upgrade node` with the kubelet's
 * package and restart. A machine rebuilt from an image takes longer, and the estimate is then short.
 */
export const COMMAND_REPLACE_S = 120;
/** A pod's start when no running pod shows one (image pulled, container started, readiness passed). */
export const DEFAULT_POD_START_S = 10;
/** Longer than this from scheduled to Ready is a restart or an outage seen by the pod, not its start. */
const POD_START_CAP_S = 600;

/** How long the cluster's provider takes to replace a node, and why the plan thinks so. */
export function replaceTiming(replace: ReplaceProvider): Timing {
  if (replace.provider === 'kwok') return { seconds: replace.delaySeconds, basis: "the kwok provider's delaySeconds" };
  const seconds = Math.min(COMMAND_REPLACE_S, replace.timeoutSeconds);
  return {
    seconds,
    basis: `assumed for a command provider: a kubeadm upgrade and a kubelet restart, Ready again${
      seconds < COMMAND_REPLACE_S ? ', cut to its timeoutSeconds' : ''
    }; a machine rebuild takes longer`,
  };
}

/** Seconds from scheduled to Ready of a running pod, undefined when it does not show them. */
function startSeconds(pod: V1Pod): number | undefined {
  const at = (type: string) => pod.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const scheduled = at('PodScheduled')?.lastTransitionTime;
  const ready = at('Ready')?.lastTransitionTime;
  if (!scheduled || !ready || pod.metadata?.deletionTimestamp) return undefined;
  const s = (new Date(ready).getTime() - new Date(scheduled).getTime()) / 1000;
  return s >= 0 && s <= POD_START_CAP_S ? s : undefined;
}

function podStart(samples: number[]): Timing {
  if (samples.length === 0) return { seconds: DEFAULT_POD_START_S, basis: 'assumed: no running pod shows its start' };
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? DEFAULT_POD_START_S;
  return { seconds: median, basis: `the median of ${samples.length} running pods, scheduled to Ready` };
}

/** A node takes evicted pods unless cordoned or tainted against new pods. */
const schedulable = (n: V1Node) =>
  n.spec?.unschedulable !== true &&
  !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');

export async function planUpgrade(
  kube: Kube,
  fromVersion: string,
  toVersion: string,
  options: Pick<
    UpgradeOptions,
    'deleteEmptyDirData' | 'force' | 'soakSeconds' | 'maxSurge' | 'maxUnavailable' | 'gracePeriodSeconds' | 'probes'
  >,
  replace: Timing,
): Promise<UpgradePlan> {
  const v1Nodes = await listNodes(kube);
  const nodes = v1Nodes.map(nodeState);
  const budgets = (
    await call(kube, 'list', 'poddisruptionbudgets', () => kube.policy.listPodDisruptionBudgetForAllNamespaces())
  ).items;
  const blocking = new Set(budgets.filter(neverAllows).map(budgetName));
  // Pods a page at a time, keeping only what the plan needs: every pod of a large cluster at once
  // would set the worker's peak memory.
  const refusals: ReturnType<typeof planDrain>['refused'] = [];
  const evicted = new Map<string, EstimatePod[]>();
  const daemons = new Set<string>();
  const stops = new Set<string>(); // nodes whose drain will wait for an operator
  const starts: number[] = [];
  let _continue: string | undefined;
  do {
    const page = await call(kube, 'list', 'pods', () =>
      kube.core.listPodForAllNamespaces({ limit: POD_PAGE, _continue }),
    );
    const drain = planDrain(page.items, { deleteEmptyDirData: options.deleteEmptyDirData, force: options.force });
    refusals.push(...drain.refused);
    for (const p of page.items) {
      const node = p.spec?.nodeName;
      const start = startSeconds(p);
      if (start !== undefined) starts.push(start);
      if (node && p.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet')) daemons.add(node);
      if (node && drain.refused.some((r) => r.pod === `${p.metadata?.namespace}/${p.metadata?.name}`)) stops.add(node);
    }
    for (const p of drain.evict) {
      const node = p.spec?.nodeName;
      if (node === undefined) continue;
      const pod = estimatePod(p, budgets, options.gracePeriodSeconds);
      if (pod.budget && blocking.has(pod.budget)) stops.add(node);
      const list = evicted.get(node);
      if (list) list.push(pod);
      else evicted.set(node, [pod]);
    }
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  const deployments = (await call(kube, 'list', 'deployments', () => kube.apps.listDeploymentForAllNamespaces())).items;
  const statefulSets = (await call(kube, 'list', 'statefulsets', () => kube.apps.listStatefulSetForAllNamespaces()))
    .items;

  const order = [...nodes].sort((a, b) =>
    a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'control-plane' ? -1 : 1,
  );
  const warnings: string[] = [];
  for (const b of budgets) {
    if (neverAllows(b)) {
      warnings.push(
        `budget ${budgetName(b)} can never allow an eviction (${budgetState(b)}): drains of its pods will block until an operator decides`,
      );
    }
  }
  for (const w of [
    ...deployments.map((d) => ['deployment', d] as const),
    ...statefulSets.map((s) => ['statefulset', s] as const),
  ]) {
    const [kind, obj] = w;
    const replicas = obj.spec?.replicas ?? 1;
    const labels = obj.spec?.template?.metadata?.labels ?? {};
    const covered = budgets.some(
      (b) => budgetsFor({ metadata: { namespace: obj.metadata?.namespace, labels } } as V1Pod, [b]).length > 0,
    );
    const name = `${kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
    if (replicas < 2) warnings.push(`${name} has ${replicas} replica(s): it will be interrupted while its node drains`);
    else if (!covered)
      warnings.push(`${name} has no PodDisruptionBudget: nothing limits how many of its pods are down at once`);
  }
  for (const r of refusals) warnings.push(`pod ${r.pod} ${r.message}: its node's drain will wait for an operator`);

  const toUpgrade = new Set(order.filter((n) => !sameVersion(n.kubeletVersion, toVersion)).map((n) => n.name));
  const byName = new Map(v1Nodes.map((n) => [n.metadata?.name ?? '', n]));
  const estimateNodes: EstimateNode[] = order.map((n) => ({
    name: n.name,
    role: n.role,
    upgrade: toUpgrade.has(n.name),
    schedulable: byName.has(n.name) && schedulable(byName.get(n.name) as V1Node),
    pods: evicted.get(n.name) ?? [],
    daemonPods: daemons.has(n.name),
  }));
  const estimate = estimateUpgrade({
    nodes: estimateNodes,
    budgets: Object.fromEntries(budgets.map((b) => [budgetName(b), b.status?.disruptionsAllowed ?? 0])),
    replace,
    podStart: podStart(starts),
    options,
    waitsForOperator: [...stops].filter((n) => toUpgrade.has(n)).length,
  });
  return {
    cluster: kube.cluster,
    fromVersion,
    toVersion,
    nodes: order.map((n) => ({ ...n, action: toUpgrade.has(n.name) ? 'upgrade' : 'skip' })),
    budgets: budgets.map((b) => ({
      name: budgetName(b),
      disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
      currentHealthy: b.status?.currentHealthy ?? 0,
      desiredHealthy: b.status?.desiredHealthy ?? 0,
      expectedPods: b.status?.expectedPods ?? 0,
      neverAllows: neverAllows(b),
    })),
    warnings,
    estimateSeconds: Math.round(estimate.seconds),
    estimateAssumes: estimate.assumes,
  };
}

/** What the estimate needs of a pod the drain will evict. */
function estimatePod(pod: V1Pod, budgets: V1PodDisruptionBudget[], gracePeriodSeconds?: number): EstimatePod {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  return {
    workload: owner
      ? `${owner.kind}/${pod.metadata?.namespace}/${owner.name}`
      : `Pod/${pod.metadata?.namespace}/${pod.metadata?.name}`,
    graceSeconds: finished ? 0 : (gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30),
    budget: budgetsFor(pod, budgets).map(budgetName)[0],
  };
}
