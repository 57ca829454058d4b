/** The parent's state as plain data, and the part of it one run hands to the next. Plain JSON. */
import type { Baseline } from '../../model/baseline.js';
import type { GateResult } from '../../model/kube.js';
import type { NodeProgress, Phase, Unreachable } from '../../model/status.js';
import type { ValidatedUpgrade } from '../../model/upgrade.js';

export interface UpgradeData {
  workflowId: string;
  /** the cluster as the request named it */
  cluster: string;
  toTemplate: string;
  /** where the main flow is; the phase shown is 'paused' too while a drain waits for the operator */
  phase: Phase;
  /** true once the upgrade recorded UPDATE_IN_PROGRESS: from then on a failure is the cluster's */
  started: boolean;
  valid?: ValidatedUpgrade;
  nodes: NodeProgress[];
  /** a pause asked for (by the operator or a failed gate), taken at the next safe point */
  pauseRequest?: string;
  abortRequested: boolean;
  window?: { waitingUntil: string; spec: string };
  lastGate?: GateResult;
  /** what the pre-flight found unhealthy and the operator accepted: later gates fail only on what is worse */
  baseline?: Baseline;
  errors: string[];
  warnings: string[];
  /** malformed operator messages, with the reason (the last few) */
  rejected: string[];
  /** set while activities fail to reach the cluster's API server */
  unreachable?: Unreachable;
}

/** What a run hands to the next when it continues as new (between batches, when no child runs). */
export type Carried = Pick<
  UpgradeData,
  'nodes' | 'pauseRequest' | 'abortRequested' | 'lastGate' | 'baseline' | 'errors' | 'warnings' | 'rejected'
> & {
  valid: ValidatedUpgrade;
};
