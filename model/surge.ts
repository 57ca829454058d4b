/** Naming and describing the new node that replaces an old one by surge (maxSurge). Pure. */
import type { NodeSnapshot } from './kube.js';

/** "pool-minion-0" at v1.12.7 → "pool-minion-0-v1-12-7" (a previous surge's version suffix is replaced). */
export function surgeName(node: string, version: string): string {
  const base = node.replace(/-v\d+-\d+-\d+$/, '');
  return `${base}-${version.replace(/^v?/, 'v').replace(/\./g, '-')}`.slice(0, 253);
}

/** The old node's description under the new node's name: same labels, taints and capacity. */
export function surgeSnapshot(old: NodeSnapshot, version: string): NodeSnapshot {
  const name = surgeName(old.name, version);
  return {
    ...old,
    name,
    labels: { ...old.labels, 'kubernetes.io/hostname': name },
    addresses: [{ type: 'Hostname', address: name }],
  };
}
