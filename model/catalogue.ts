/** The shapes of the catalogue: cluster templates and clusters, as `openstack coe` lists them. */

export interface ClusterTemplate {
  name: string;
  uuid: string;
  /** flat string map; `kube_tag` carries the Kubernetes version */
  labels: Record<string, string>;
}

/** How a node is replaced by a new one at the target version. */
export type ReplaceProvider =
  { provider: 'kwok'; delaySeconds: number } | { provider: 'command'; command: string; timeoutSeconds: number };

export interface Cluster {
  name: string;
  uuid: string;
  /** the template the cluster was created from (its current one until an upgrade records another) */
  template: string;
  /** status the cluster was declared with (CREATE_COMPLETE); later states live in its record */
  status: ClusterStatusName;
  keypair?: string;
  master_count?: number;
  node_count?: number;
  /** absolute path of the kubeconfig, resolved on the worker's machine; never sent to Temporal */
  kubeconfig: string;
  context?: string;
  replace: ReplaceProvider;
}

export interface Catalogue {
  templates: ClusterTemplate[];
  clusters: Cluster[];
}

export const CLUSTER_STATUSES = [
  'CREATE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_PAUSED',
  'UPDATE_ABORTED',
] as const;
export type ClusterStatusName = (typeof CLUSTER_STATUSES)[number];
