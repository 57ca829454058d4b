/** Plain-JSON shapes of what the Kubernetes activities read and return (they enter workflow history). */
import type { GateProblem } from './baseline.js';

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

/**
 * A node's state before the upgrade touched it. Restoring does not write it back (others may change
 * the node meanwhile): it undoes the node's own record of what the upgrade changed (`NodeChanges`).
 * The labels and taints describe a node registered again whose Node object is already gone (kwok).
 */
export interface NodeSnapshot {
  name: string;
  /** cordoned by someone else before the upgrade (a cordon left by an earlier upgrade does not count) */
  unschedulable: boolean;
  taints: Taint[];
  labels: Record<string, string>;
  /** enough to register the node again (the kwok provider) */
  addresses: { type: string; address: string }[];
  capacity: Record<string, string>;
}

/**
 * What the upgrade changed on a node, kept on the node itself (an annotation), so that whoever puts it
 * back (the upgrade's compensation, its uncordon, `recover` after a terminate) undoes exactly that and
 * nothing that others changed meanwhile. The upgrade's own annotations are removed with it.
 */
export interface NodeChanges {
  /** the upgrade set spec.unschedulable: the node was schedulable before */
  cordoned: boolean;
  /** taints the upgrade added (by key and effect) */
  taints: { key: string; effect: string }[];
  /** label keys the upgrade added */
  labels: string[];
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
  /** pods deleted rather than evicted (a forced drain), with when */
  deleted?: { pod: string; at: string }[];
}

export interface GateCheck {
  name: string;
  ok: boolean;
  /** what the check observed */
  detail: string;
  /** a failed check: where the operator looks next (commands, logs) */
  lookAt?: string;
}

export interface GateResult {
  healthy: boolean;
  checks: GateCheck[];
  /** ISO time of the last check */
  at: string;
  /** every problem found, by key; `accepted` ones were so before the upgrade (model/baseline.ts) */
  problems?: GateProblem[];
  /** problems of objects the catalogue's health.exclude leaves out, as seen */
  excluded?: string[];
}
