/** What the `status` query answers: the upgrade's progress, node by node. Plain JSON. */
import type { ClusterStatusName } from './catalogue.js';
import type { BlockedPod, GateResult, NodeRole } from './kube.js';

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
  | 'wait-ready'
  | 'uncordon'
  | 'retire'
  | 'gate'
  | 'done'
  | 'skipped'
  | 'restored'
  | 'failed';

/** The steps after which a node's child has ended. */
export const FINISHED: readonly NodeStep[] = ['done', 'skipped', 'restored', 'failed'];

export interface NodeProgress {
  name: string;
  role: NodeRole;
  /** the kubelet version last seen */
  version: string;
  step: NodeStep;
  /** true while the upgrade holds the node unschedulable */
  cordoned: boolean;
  podsLeft?: number;
  blocked?: BlockedPod[];
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
  errors: string[];
  warnings: string[];
  /** operator messages refused as malformed (a signal cannot be refused to its sender), newest last */
  rejected: string[];
  /** set while the upgrade waits for a maintenance window */
  window?: { waitingUntil: string; spec: string };
}

/** A progress report from a `nodeUpgrade` child to its parent. */
export type NodeReport = Partial<Omit<NodeProgress, 'name' | 'role'>> & { name: string };

/** The operator's decision for a node whose drain is blocked. */
export interface DrainDecision {
  action: 'retry' | 'force' | 'skip';
  /** for retry: a new drain timeout */
  timeoutSeconds?: number;
}
