/** PodDisruptionBudgets: which one covers a pod, and how it reads to an operator. */
import type { V1LabelSelector, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';

export function selects(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value ?? ''))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value ?? '')) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  // An empty selector selects every pod of the namespace (policy/v1).
  return true;
}

export function budgetsFor(pod: V1Pod, budgets: V1PodDisruptionBudget[]): V1PodDisruptionBudget[] {
  return budgets.filter(
    (b) => b.metadata?.namespace === pod.metadata?.namespace && selects(b.spec?.selector, pod.metadata?.labels ?? {}),
  );
}

export const budgetName = (b: V1PodDisruptionBudget) => `${b.metadata?.namespace}/${b.metadata?.name}`;

/** "allows 0 disruptions (healthy 1, needs 1, expected 1)" */
export function budgetState(b: V1PodDisruptionBudget): string {
  const s = b.status;
  return `allows ${s?.disruptionsAllowed ?? 0} disruption(s) (healthy ${s?.currentHealthy ?? 0}, needs ${s?.desiredHealthy ?? 0}, expected ${s?.expectedPods ?? 0})`;
}

/** A budget that can never allow an eviction: it needs every expected pod healthy. */
export function neverAllows(b: V1PodDisruptionBudget): boolean {
  const s = b.status;
  if (!s) return false;
  return s.expectedPods > 0 && s.desiredHealthy >= s.expectedPods;
}
