/**
 * `recover`: after an upgrade ended without putting its nodes back (terminated, its worker lost, a
 * failure), the nodes carrying the upgrade's record are restored and the cluster's record is left in
 * a state a new upgrade starts from, saying which node runs which version. Plain JSON (it crosses
 * Temporal) and pure functions (the activity decides with them; the CLI prints what they made).
 */
import type { ClusterStatusName } from './catalogue.js';
import type { ClusterRecord } from './record.js';
import type { NodeRole } from './kube.js';
import { sameVersion } from './versions.js';

export interface RecoverRequest {
  cluster: string;
  /**
   * The record as the caller read it when it found no upgrade of the cluster running: the upgrade it
   * names (null: none), its status and the time of its last write. Recover refuses when the record
   * says anything else by then, or later: an upgrade started meanwhile (the CLI's upgrades all have
   * the id `upgrade-<cluster>`, so the id alone does not tell one from the next).
   */
  upgradeId: string | null;
  status: ClusterStatusName;
  updatedAt: string;
}

export interface RecoveredNode {
  name: string;
  role: NodeRole;
  version: string;
  ready: boolean;
  /** cordoned after recover */
  unschedulable: boolean;
  /** restored: the upgrade's changes undone; kept: left cordoned (see detail); untouched: nothing of the upgrade on it */
  action: 'restored' | 'kept' | 'untouched' | 'gone';
  detail: string;
}

export interface Recovery {
  cluster: string;
  /** the version the record's target template moves to, when the record names one */
  targetVersion?: string;
  nodes: RecoveredNode[];
  before: ClusterRecord;
  record: ClusterRecord;
  /** false when there was nothing to recover (the record was left as it was) */
  recorded: boolean;
}

export type RecordPatch = Partial<Omit<ClusterRecord, 'cluster' | 'updated_at'>>;

export const RECOVERED = 'recovered by the operator';
const BEFORE = '; before: ';

/** "3 at v1.12.7 (a, b, c), 2 at v1.11.9 (d, e)": which node runs which version, a dozen names at most each. */
export function versionSummary(nodes: Pick<RecoveredNode, 'name' | 'version'>[]): string {
  const byVersion = new Map<string, string[]>();
  for (const n of nodes)
    byVersion.set(n.version || 'unknown', [...(byVersion.get(n.version || 'unknown') ?? []), n.name]);
  return [...byVersion]
    .map(([version, names]) => {
      const shown = names.slice(0, 12).join(', ') + (names.length > 12 ? `, and ${names.length - 12} more` : '');
      return `${names.length} at ${version} (${shown})`;
    })
    .join(', ');
}

/** What the record said before, without an earlier recovery's own words. */
function previously(record: ClusterRecord): string {
  const reason = record.status_reason;
  if (reason.startsWith(RECOVERED) && reason.includes(BEFORE))
    return reason.slice(reason.indexOf(BEFORE) + BEFORE.length);
  return `${record.status}: ${reason}`;
}

/**
 * The record after recovery, or undefined when there was nothing to recover (no upgrade left the
 * record unfinished, no node carried the upgrade's record). Every node Ready at the target version,
 * none kept cordoned: UPDATE_COMPLETE at the target template (no health gate ran: the reason says so).
 * Otherwise the template stays; an unfinished UPDATE_IN_PROGRESS or UPDATE_PAUSED becomes
 * UPDATE_FAILED; UPDATE_FAILED and UPDATE_ABORTED stay. All are states an upgrade may start from.
 */
export function recoveredRecord(
  before: ClusterRecord,
  nodes: RecoveredNode[],
  target?: { template: string; version: string },
): RecordPatch | undefined {
  const unfinished = /^UPDATE_(IN_PROGRESS|PAUSED)$/.test(before.status);
  const ended = /^UPDATE_(FAILED|ABORTED)$/.test(before.status);
  const touched = nodes.some((n) => n.action === 'restored' || n.action === 'kept');
  if (!unfinished && !ended && !touched) return undefined;
  const live = nodes.filter((n) => n.action !== 'gone');
  const kept = live.filter((n) => n.action === 'kept');
  const was = `${BEFORE}${previously(before)}`;
  if (
    target &&
    live.length > 0 &&
    kept.length === 0 &&
    live.every((n) => n.ready && sameVersion(n.version, target.version))
  ) {
    return {
      status: 'UPDATE_COMPLETE',
      status_reason: `${RECOVERED}: every node runs ${target.version} and is Ready (the upgrade's health gates did not all run)${was}`,
      template: target.template,
      coe_version: target.version,
      target_template: null,
      left_cordoned: [],
    };
  }
  const left = kept.length > 0 ? `; LEFT CORDONED: ${kept.map((n) => `${n.name} (${n.detail})`).join(', ')}` : '';
  return {
    status: unfinished ? 'UPDATE_FAILED' : before.status,
    status_reason: `${RECOVERED}: nodes ${versionSummary(live)}${left}${was}`,
    left_cordoned: kept.filter((n) => n.unschedulable).map((n) => n.name),
  };
}
