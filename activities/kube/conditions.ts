/**
 * Node conditions that make a Ready node a bad home for pods: the kubelet's pressure conditions
 * (the node evicts pods and takes no new ones of their kind) and NetworkUnavailable (its pod
 * network is not set up). Checked on the nodes the upgrade replaced.
 */
import type { V1Node } from '@kubernetes/client-node';

export const BAD_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

/** A condition's message is the kubelet's (or a network plugin's) own text: kept, but cut short. */
const MESSAGE_MAX = 200;

/** `minion-0 DiskPressure: <message>` for every bad condition True on the named nodes. */
export function conditionProblems(nodes: readonly V1Node[], names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    if (!names.includes(name)) continue;
    for (const c of node.status?.conditions ?? []) {
      if (c.status !== 'True' || !(BAD_CONDITIONS as readonly string[]).includes(c.type)) continue;
      const said = (c.message || c.reason || 'no message').slice(0, MESSAGE_MAX);
      problems.push(`${name} ${c.type}: ${said}`);
    }
  }
  return problems;
}
