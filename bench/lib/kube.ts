/** API clients for the bench's local cluster (from its kubeconfig), and what the benches read with them. */
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { type ClusterOptions, kubeconfigPath } from '../../localcluster/cluster.js';

export interface Apis {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
}

export function apis(cluster: ClusterOptions): Apis {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath(cluster));
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
  };
}

/** How many nodes report each kubelet version. */
export async function nodeVersions(k: Apis): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const n of (await k.core.listNode()).items) {
    const v = n.status?.nodeInfo?.kubeletVersion ?? '?';
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}
