import { kwokNodeInfo } from '../activities/replace/kwok.js';

/** The nodes of the seed's cluster, as kubelets would register them (names as in `openstack coe cluster show`). */

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

export interface NodeLayout {
  cluster: string;
  masters: number;
  workers: number;
  kubeletVersion: string;
}

export function nodeNames(layout: NodeLayout): { masters: string[]; workers: string[] } {
  const prefix = `${layout.cluster}-zcuuaiib6nqt`;
  return {
    masters: Array.from({ length: layout.masters }, (_, i) => `${prefix}-master-${i}`),
    workers: Array.from({ length: layout.workers }, (_, i) => `${prefix}-minion-${i}`),
  };
}

/** A v1 Node as a kubelet registers it; status is kept on create (kwok then marks it Ready). */
export function nodeManifest(name: string, role: 'master' | 'worker', kubeletVersion: string, index: number) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(role === 'master' ? { [CONTROL_PLANE_LABEL]: '' } : {}),
      },
    },
    spec: role === 'master' ? { taints: [{ key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' }] } : {},
    status: {
      // TEST-NET-2 documentation addresses: data only, nothing is sent there.
      addresses: [
        { type: 'InternalIP', address: `198.51.100.${role === 'master' ? 10 + index : 100 + index}` },
        { type: 'Hostname', address: name },
      ],
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      nodeInfo: kwokNodeInfo(kubeletVersion),
    },
  };
}

export function clusterNodes(layout: NodeLayout) {
  const { masters, workers } = nodeNames(layout);
  return [
    ...masters.map((n, i) => nodeManifest(n, 'master', layout.kubeletVersion, i)),
    ...workers.map((n, i) => nodeManifest(n, 'worker', layout.kubeletVersion, i)),
  ];
}
