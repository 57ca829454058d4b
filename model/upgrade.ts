/**
 * The input of `rollingUpgrade` (plain JSON, so `temporal workflow start --input` works) and what
 * validation and `plan` make of it. The input and its options, with their defaults, are declared once
 * in the schema of ./options.ts.
 */
export { DEFAULTS, type Probe, type UpgradeOptions, type UpgradeRequest } from './options.js';

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
  /** what the estimate takes for granted (activities/kube/plan.ts); absent from an older worker's plan */
  estimateAssumes?: string[];
}
