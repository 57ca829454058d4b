/** Node objects as the API server returns them, for the unit tests of the upgrade's record on a node. */
import type { V1Node } from '@kubernetes/client-node';
import { CHANGES, CORDONED_BY } from '../../activities/kube/nodes.js';

export function node(over: {
  unschedulable?: boolean;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: { key: string; effect: string; value?: string }[];
  ready?: boolean;
  version?: string;
}): V1Node {
  return {
    metadata: {
      name: 'n1',
      resourceVersion: '42',
      labels: over.labels ?? { 'kubernetes.io/hostname': 'n1' },
      annotations: over.annotations,
    },
    spec: { unschedulable: over.unschedulable, taints: over.taints },
    status: {
      conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
      nodeInfo: { kubeletVersion: over.version ?? 'v1.11.9' } as NonNullable<V1Node['status']>['nodeInfo'],
      addresses: [{ type: 'Hostname', address: 'n1' }],
      capacity: { cpu: '4' },
    },
  };
}

export const ours = (upgrade = 'up-1', changes: object = { cordoned: true, taints: [], labels: [] }) => ({
  [CORDONED_BY]: upgrade,
  [CHANGES]: JSON.stringify(changes),
});
