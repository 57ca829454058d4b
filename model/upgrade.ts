/**
 * The input of `rollingUpgrade` (plain JSON, so `temporal workflow start --input` works) and its
 * options, each with a safe default.
 */
/** An HTTP probe: passes when it answers 2xx/3xx `successes` times in a row. */
export interface Probe {
  url: string;
  /** consecutive successes required (default 3) */
  successes?: number;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface UpgradeRequest {
  /** cluster name or uuid in the catalogue */
  cluster: string;
  /** target cluster template name or uuid */
  template: string;
  /** allow a move the Kubernetes skew policy forbids (more than one minor version, major change) */
  allowSkew?: boolean;
  /** workers upgraded at once: a count, or a percentage of the workers such as "10%" (default 1) */
  maxUnavailable?: number | string;
  /**
   * workers replaced by surge (default 0: upgraded in place): a new node at the target version is
   * registered and Ready before the old one is drained and removed, so capacity never drops. The
   * workers then go in batches of maxSurge (maxUnavailable applies to in-place upgrades). Needs a
   * provider that can register new nodes (kwok); control-plane nodes are always upgraded in place.
   */
  maxSurge?: number;
  /** how long a drain may take before the operator decides (default 600) */
  drainTimeoutSeconds?: number;
  /** what happens when the drain timeout expires: wait for the operator (default), delete the pods, or abort */
  onDrainTimeout?: 'pause' | 'force' | 'abort';
  /** grace period given to evicted pods (default: each pod's own terminationGracePeriodSeconds) */
  gracePeriodSeconds?: number;
  /** evict pods that use emptyDir volumes (their data is lost; default false) */
  deleteEmptyDirData?: boolean;
  /** evict pods no controller manages (they do not come back; default false) */
  force?: boolean;
  /** wait after each node before its health gate (default 0) */
  soakSeconds?: number;
  /** how long a replaced node may take to be Ready at the new version (default 600) */
  nodeReadyTimeoutSeconds?: number;
  /** how long a health gate waits for the cluster to become healthy (default 300) */
  gateTimeoutSeconds?: number;
  /** HTTP probes that must pass in each gate (the seed's curl loop) */
  probes?: Probe[];
  /** maintenance windows ("Sat,Sun 02:00-06:00 Pacific/Auckland"); a node starts only inside one (default: always) */
  windows?: string[];
  /** continue as new (carrying the progress) between batches once the history has this many events (default 4000) */
  maxHistoryEvents?: number;
}

export type UpgradeOptions = Required<
  Pick<
    UpgradeRequest,
    | 'drainTimeoutSeconds'
    | 'onDrainTimeout'
    | 'deleteEmptyDirData'
    | 'force'
    | 'soakSeconds'
    | 'nodeReadyTimeoutSeconds'
    | 'gateTimeoutSeconds'
    | 'probes'
    | 'windows'
    | 'maxHistoryEvents'
    | 'maxSurge'
  >
> &
  Pick<UpgradeRequest, 'gracePeriodSeconds'> & { maxUnavailable: number | string };

export const DEFAULTS: UpgradeOptions = {
  maxUnavailable: 1,
  drainTimeoutSeconds: 600,
  onDrainTimeout: 'pause',
  deleteEmptyDirData: false,
  force: false,
  soakSeconds: 0,
  nodeReadyTimeoutSeconds: 600,
  gateTimeoutSeconds: 300,
  probes: [],
  windows: [],
  maxHistoryEvents: 4000,
  maxSurge: 0,
};

export interface ValidatedUpgrade {
  cluster: string;
  clusterUuid: string;
  fromTemplate: string;
  toTemplate: string;
  toTemplateUuid: string;
  fromVersion: string;
  toVersion: string;
  previousStatus: string;
}

/** The answer of `plan` (and the pre-flight step): what the upgrade will do, before it touches anything. */
export interface UpgradePlan {
  cluster: string;
  fromVersion: string;
  toVersion: string;
  nodes: {
    name: string;
    role: 'control-plane' | 'worker';
    kubeletVersion: string;
    ready: boolean;
    unschedulable: boolean;
    action: 'upgrade' | 'skip';
  }[];
  budgets: {
    name: string;
    disruptionsAllowed: number;
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    neverAllows: boolean;
  }[];
  /** workloads the upgrade will interrupt or that will block it (the seed's caveat) */
  warnings: string[];
  estimateSeconds: number;
}
