/** What the `status` query answers: the upgrade's progress, node by node. Plain JSON. */
import type { Baseline } from './baseline.js';
import type { ClusterStatusName } from './catalogue.js';
import type { BlockedPod, GateResult, NodeRole } from './kube.js';
import type { SmokeCheck } from './smoke.js';

export type Phase =
  | 'validating'
  | 'preflight'
  | 'upgrading'
  | 'paused'
  | 'waiting-for-window'
  | 'final-gate'
  | 'completed'
  | 'aborted'
  | 'failed';

export type NodeStep =
  | 'pending'
  | 'surge'
  | 'cordon'
  | 'drain'
  | 'blocked'
  | 'replace'
  | 'replace-failed'
  | 'wait-ready'
  | 'uncordon'
  | 'smoke'
  | 'smoke-failed'
  | 'retire'
  | 'gate'
  | 'done'
  | 'skipped'
  | 'restored'
  | 'gone'
  | 'failed';

/** The steps after which a node's child has ended. */
export const FINISHED: readonly NodeStep[] = ['done', 'skipped', 'restored', 'gone', 'failed'];

/** The steps at which a node waits for the operator: a blocked drain, a failed replacement, a smoke pod never Ready. */
export const PARKED: readonly NodeStep[] = ['blocked', 'replace-failed', 'smoke-failed'];

/** A pod deleted rather than evicted (its budget bypassed): kept in the status and the record. */
export interface ForcedDeletion {
  /** namespace/name */
  pod: string;
  node: string;
  /** ISO time of the deletion */
  at: string;
  /** the decision that allowed it: the operator's forceDrain, or the upgrade's onDrainTimeout: force */
  decision: string;
}

/** While activities cannot reach the cluster's API server (cleared by the next success). */
export interface Unreachable {
  /** ISO time of the first failed attempt */
  since: string;
  attempt: number;
  message: string;
}

export interface NodeProgress {
  name: string;
  role: NodeRole;
  /** the kubelet version last seen */
  version: string;
  step: NodeStep;
  /** true while the node is unschedulable (held by the upgrade, or cordoned before it) */
  cordoned: boolean;
  /** the upgrade ended its work on the node and left it cordoned (a failed replacement): a person must look */
  leftCordoned?: boolean;
  podsLeft?: number;
  blocked?: BlockedPod[];
  /** pods deleted rather than evicted from this node (forceDrain, onDrainTimeout: force) */
  deleted?: ForcedDeletion[];
  /** the smoke pod run on the node after its uncordon: what it showed, and what to look at when it failed */
  smoke?: SmokeCheck;
  /** with maxSurge: the new node that took this one's place */
  replacedBy?: string;
  /** the number of the last progress report applied (reports may arrive out of order) */
  seq?: number;
  detail?: string;
}

export interface UpgradeStatus {
  workflowId: string;
  cluster: string;
  fromTemplate?: string;
  toTemplate: string;
  fromVersion?: string;
  toVersion?: string;
  clusterStatus: ClusterStatusName | 'VALIDATING';
  phase: Phase;
  /** why the upgrade is paused (operator, blocked drain, failed gate) */
  pausedReason?: string;
  abortRequested: boolean;
  nodes: NodeProgress[];
  /** nodes being upgraded now */
  current: string[];
  done: number;
  remaining: number;
  lastGate?: GateResult;
  /** what the pre-flight found unhealthy and the operator accepted (set once it passed) */
  baseline?: Baseline;
  errors: string[];
  warnings: string[];
  /** operator messages refused as malformed (a signal cannot be refused to its sender), newest last */
  rejected: string[];
  /** every pod deleted rather than evicted during this upgrade, node by node */
  forcedDeletions: ForcedDeletion[];
  /** set while activities fail to reach the cluster's API server */
  unreachable?: Unreachable;
  /** "API server of CLUSTER unreachable since HH:MM:SS, attempt N: …" / the last gate's verdict */
  health: 'HEALTHY' | 'UNHEALTHY' | 'UNREACHABLE' | 'UNKNOWN';
  /** set while the upgrade waits for a maintenance window */
  window?: { waitingUntil: string; spec: string };
}

/** A progress report from a `nodeUpgrade` child to its parent. */
export type NodeReport = Partial<Omit<NodeProgress, 'name' | 'role'>> & { name: string };

/** The operator's decision for a node whose drain is blocked. */
export interface DrainDecision {
  /** retry/force/skip a blocked drain; retry-replace/skip a failed replacement */
  action: 'retry' | 'force' | 'skip' | 'retry-replace';
  /** for retry: a new drain timeout */
  timeoutSeconds?: number;
}
