/**
 * What the gate's reads find, as problems with stable keys (model/baseline.ts): nodes not Ready (upgraded
 * ones also missing or at another version), pressure and network conditions of upgraded nodes,
 * workloads short of available pods, budgets not satisfied, control-plane components without a working
 * leader. Each says what it is about, so that the catalogue's exclusions and the baseline can judge it.
 */
import type { V1Node } from '@kubernetes/client-node';
import { type Finding, notReadyKey } from '../../model/baseline.js';
import { sameVersion } from '../../model/versions.js';
import { budgetName } from './budgets.js';
import type { Kube } from './client.js';
import { conditionProblems } from './conditions.js';
import { CONTROL_PLANE_COMPONENTS, controlPlaneHealth } from './control-plane.js';
import { nodeState } from './nodes.js';
import { abortable } from './raw.js';

export function nodeProblems(v1Nodes: V1Node[], req: { upgradedNodes?: string[]; targetVersion?: string }): Finding[] {
  const nodes = v1Nodes.map(nodeState);
  const about = (name: string) => ({ object: `node/${name}`, node: name });
  const problems: Finding[] = nodes
    .filter((n) => !n.ready)
    .map((n) => ({ key: notReadyKey(n.name), detail: `${n.name} not Ready`, ...about(n.name) }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const name of req.upgradedNodes ?? []) {
    const n = byName.get(name);
    if (!n) problems.push({ key: `node/${name} missing`, detail: `${name} missing`, ...about(name) });
    else if (req.targetVersion && !sameVersion(n.kubeletVersion, req.targetVersion)) {
      problems.push({
        key: `node/${name} not at ${req.targetVersion}`,
        detail: `${name} runs ${n.kubeletVersion}, not ${req.targetVersion}`,
        ...about(name),
      });
    }
  }
  return problems;
}

/** A workload with fewer pods available than it wants: `deployment default/web unavailable`. */
function workload(kind: string, namespace = '', name = '', have: number, want: number, word: string): Finding[] {
  if (have >= want) return [];
  return [
    {
      key: `${kind} ${namespace}/${name} unavailable`,
      detail: `${kind} ${namespace}/${name} ${have}/${want} ${word}`,
      short: want - have,
      object: `${kind}/${namespace}/${name}`,
      namespace,
    },
  ];
}

export async function workloadProblems(kube: Kube, signal: AbortSignal): Promise<Finding[]> {
  const options = abortable(signal);
  const [deployments, statefulSets, daemonSets] = await Promise.all([
    kube.apps.listDeploymentForAllNamespaces({}, options),
    kube.apps.listStatefulSetForAllNamespaces({}, options),
    kube.apps.listDaemonSetForAllNamespaces({}, options),
  ]);
  return [
    ...deployments.items.flatMap((d) =>
      workload(
        'deployment',
        d.metadata?.namespace,
        d.metadata?.name,
        d.status?.availableReplicas ?? 0,
        d.spec?.replicas ?? 1,
        'available',
      ),
    ),
    ...statefulSets.items.flatMap((s) =>
      workload(
        'statefulset',
        s.metadata?.namespace,
        s.metadata?.name,
        s.status?.readyReplicas ?? 0,
        s.spec?.replicas ?? 1,
        'ready',
      ),
    ),
    ...daemonSets.items.flatMap((ds) =>
      workload(
        'daemonset',
        ds.metadata?.namespace,
        ds.metadata?.name,
        ds.status?.numberAvailable ?? 0,
        ds.status?.desiredNumberScheduled ?? 0,
        'available',
      ),
    ),
  ];
}

export async function budgetProblems(kube: Kube, signal: AbortSignal): Promise<Finding[]> {
  const problems: Finding[] = [];
  for (const b of (await kube.policy.listPodDisruptionBudgetForAllNamespaces({}, abortable(signal))).items) {
    const s = b.status;
    const about = {
      key: `budget ${budgetName(b)}`,
      object: `budget/${budgetName(b)}`,
      namespace: b.metadata?.namespace,
    };
    if (!s || (s.observedGeneration ?? 0) < (b.metadata?.generation ?? 0)) {
      problems.push({ ...about, detail: `${budgetName(b)} not yet observed by the disruption controller` });
    } else if (s.currentHealthy < s.desiredHealthy) {
      problems.push({
        ...about,
        detail: `${budgetName(b)} has ${s.currentHealthy} healthy, needs ${s.desiredHealthy}`,
        short: s.desiredHealthy - s.currentHealthy,
      });
    }
  }
  return problems;
}

/** The control plane's problems, each keyed by its component (accepted only by key). */
export async function controlPlaneProblems(
  kube: Kube,
  signal: AbortSignal,
): Promise<{ problems: Finding[]; ok: string }> {
  const { problems, ok } = await controlPlaneHealth(kube, signal);
  const component = (p: string) => CONTROL_PLANE_COMPONENTS.find((c) => p.startsWith(c)) ?? p;
  return {
    problems: problems.map((p) => ({ key: `control-plane ${component(p)}`, detail: p, acceptable: 'key' })),
    ok,
  };
}

/** Pressure and network conditions of the upgraded nodes, keyed by node and condition. */
export function conditionFindings(nodes: V1Node[], upgraded: readonly string[]): Finding[] {
  return conditionProblems(nodes, upgraded).map((detail) => {
    const [node = '', type = ''] = detail.split(/[ :]/);
    return { key: `node/${node} ${type}`, detail, object: `node/${node}`, node };
  });
}
