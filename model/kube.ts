/** Plain-JSON shapes of what the Kubernetes activities read and return (they enter workflow history). */

export type NodeRole = 'control-plane' | 'worker';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** A node as the upgrade sees it. */
export interface NodeState {
  name: string;
  role: NodeRole;
  kubeletVersion: string;
  ready: boolean;
  unschedulable: boolean;
}

/** A node's state before the upgrade touched it: what abort or failure restores. */
export interface NodeSnapshot {
  name: string;
  unschedulable: boolean;
  taints: Taint[];
  labels: Record<string, string>;
  /** enough to register the node again (the kwok provider) */
  addresses: { type: string; address: string }[];
  capacity: Record<string, string>;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** Why a pod is still on a node the drain wants empty. */
export interface BlockedPod {
  pod: string;
  reason: 'budget' | 'unmanaged' | 'local-storage' | 'terminating' | 'error';
  message: string;
  /** namespace/name of the PodDisruptionBudget that refused the eviction */
  budget?: string;
}

export interface DrainResult {
  node: string;
  drained: boolean;
  /** pods evicted (or deleted when forced) by this drain */
  evicted: number;
  /** pods left skipped on purpose (DaemonSet, mirror), with the reason */
  skipped: string[];
  podsLeft: number;
  blocked: BlockedPod[];
  /** true when the drain stopped at its deadline (not at once, on pods it must not evict) */
  timedOut: boolean;
}

export interface GateCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface GateResult {
  healthy: boolean;
  checks: GateCheck[];
  /** ISO time of the last check */
  at: string;
}
