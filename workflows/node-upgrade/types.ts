/** The contract of a `nodeUpgrade` child with its parent. Plain JSON. */
import type { NodeReport } from '../../model/status.js';
import type { UpgradeOptions } from '../../model/upgrade.js';

export interface NodeUpgradeInput {
  cluster: string;
  node: string;
  toVersion: string;
  /** the parent's workflow id: names the upgrade on the node and receives progress */
  upgradeId: string;
  /** the parent's first run id (its id and this name one upgrade, even when ids repeat) */
  upgradeRun?: string;
  options: UpgradeOptions;
  /** replace by surge: a new node first, then drain and retire this one */
  surge?: boolean;
}

export type NodeOutcome = 'upgraded' | 'already-upgraded' | 'skipped' | 'aborted' | 'gone';

/**
 * What a child returns: its outcome and its last report, which the parent applies as it learns the
 * outcome (no signal and no workflow task of its own). A failure reports by signal before the error.
 */
export interface NodeResult {
  outcome: NodeOutcome;
  report?: NodeReport;
}
