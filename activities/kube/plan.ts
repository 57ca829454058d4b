/**
 * The pre-flight report (also the `plan` command): the order nodes will be upgraded in, each budget's
 * headroom, what the upgrade will interrupt or be blocked by, and an estimate of its duration.
 * Reads only; touches nothing.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { UpgradePlan, UpgradeOptions } from '../../model/upgrade.js';
import { sameVersion } from '../../model/versions.js';
import { workerBatchSize } from '../../model/batches.js';
import { call, type Kube } from './client.js';
import { budgetName, budgetState, budgetsFor, neverAllows } from './budgets.js';
import { planDrain } from './drain-plan.js';
import { listNodes, nodeState } from './nodes.js';

const POD_PAGE = 500;

export async function planUpgrade(
  kube: Kube,
  fromVersion: string,
  toVersion: string,
  options: Pick<UpgradeOptions, 'deleteEmptyDirData' | 'force' | 'soakSeconds' | 'maxSurge' | 'maxUnavailable'>,
  replaceSeconds: number,
): Promise<UpgradePlan> {
  const nodes = (await listNodes(kube)).map(nodeState);
  // Pods a page at a time, keeping only what the plan needs: every pod of a large cluster at once
  // would set the worker's peak memory.
  const refusals: ReturnType<typeof planDrain>['refused'] = [];
  const graceByNode = new Map<string, number>();
  let _continue: string | undefined;
  do {
    const page = await call(kube, 'list', 'pods', () =>
      kube.core.listPodForAllNamespaces({ limit: POD_PAGE, _continue }),
    );
    refusals.push(
      ...planDrain(page.items, { deleteEmptyDirData: options.deleteEmptyDirData, force: options.force }).refused,
    );
    for (const p of page.items) {
      const node = p.spec?.nodeName;
      if (node === undefined) continue;
      graceByNode.set(node, Math.max(graceByNode.get(node) ?? 0, p.spec?.terminationGracePeriodSeconds ?? 30));
    }
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  const budgets = (
    await call(kube, 'list', 'poddisruptionbudgets', () => kube.policy.listPodDisruptionBudgetForAllNamespaces())
  ).items;
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

  const grace = (node: string) => graceByNode.get(node) ?? 0;
  const toUpgrade = order.filter((n) => !sameVersion(n.kubeletVersion, toVersion));
  // Control-plane nodes one at a time, workers in batches as the workflow runs them; a batch lasts as
  // long as its slowest node (its longest grace period, the replacement, ~5 s of steps), then the soak.
  const nodeSeconds = (n: { name: string }) => grace(n.name) + replaceSeconds + 5;
  const workers = toUpgrade.filter((n) => n.role === 'worker');
  const size = workerBatchSize(options, nodes.filter((n) => n.role === 'worker').length);
  let estimateSeconds = toUpgrade
    .filter((n) => n.role !== 'worker')
    .reduce((sum, n) => sum + nodeSeconds(n) + options.soakSeconds, 0);
  for (let i = 0; i < workers.length; i += size)
    estimateSeconds += Math.max(...workers.slice(i, i + size).map(nodeSeconds)) + options.soakSeconds;
  return {
    cluster: kube.cluster,
    fromVersion,
    toVersion,
    nodes: order.map((n) => ({ ...n, action: sameVersion(n.kubeletVersion, toVersion) ? 'skip' : 'upgrade' })),
    budgets: budgets.map((b) => ({
      name: budgetName(b),
      disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
      currentHealthy: b.status?.currentHealthy ?? 0,
      desiredHealthy: b.status?.desiredHealthy ?? 0,
      expectedPods: b.status?.expectedPods ?? 0,
      neverAllows: neverAllows(b),
    })),
    warnings,
    estimateSeconds,
  };
}
