/** What is remembered about a cluster between upgrades (what `status` shows, like `openstack coe cluster show`). */
import type { Baseline } from './baseline.js';
import type { ClusterStatusName } from './catalogue.js';
import type { ForcedDeletion } from './status.js';

export interface ClusterRecord {
  cluster: string;
  status: ClusterStatusName;
  status_reason: string;
  /** name of the cluster's current template */
  template: string;
  /** Kubernetes version the whole cluster runs (the template's kube_tag once an upgrade completed) */
  coe_version: string;
  health_status?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  health_status_reason?: Record<string, string>;
  /** the upgrade that last changed the record */
  workflow_id?: string;
  /** target template of the upgrade in progress, paused, aborted or failed */
  target_template?: string | null;
  /** pods the last upgrade deleted rather than evicted (forceDrain, onDrainTimeout: force) */
  forced_deletions?: ForcedDeletion[];
  /** what the last upgrade's pre-flight found unhealthy and the operator accepted (--accept-unhealthy) */
  baseline?: Baseline | null;
  /** nodes the last upgrade left cordoned (a failed replacement): an operator must look at them */
  left_cordoned?: string[];
  updated_at: string;
}
