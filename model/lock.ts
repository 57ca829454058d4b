/**
 * The cluster's entity in Temporal (workflows/cluster/): its record, the upgrade lock and the history
 * of the upgrades that held it. Plain JSON: it crosses Temporal as workflow input, update arguments
 * and query answers, and the CLI, the activities and the entity share it.
 */
import type { ClusterRecord } from './record.js';

/** The entity workflow of a cluster, by its catalogue name (a uuid is resolved to the name first). */
export const entityId = (cluster: string) => `cluster-${cluster}`;
/** Its workflow type. */
export const ENTITY_WORKFLOW = 'clusterRecord';

/** Who asks for the lock: a workflow id and its run chain (the first run id: stable across continue-as-new). */
export interface HolderRef {
  workflowId: string;
  runChain: string;
}

/** What the lock is taken for: an upgrade, or `recover` putting back what an ended one left. */
export type Purpose = 'upgrade' | 'recover';

export interface Holder extends HolderRef {
  purpose: Purpose;
  /** the target template of an upgrade */
  target?: string;
  /** ISO time the lock was granted */
  since: string;
  /** ISO time the entity last found it running (an activity described it) */
  seenRunning?: string;
}

/** One upgrade (or recover) that held the lock, and how it ended. */
export interface HeldBefore extends HolderRef {
  purpose: Purpose;
  target?: string;
  since: string;
  ended?: string;
  /** the record's status when it let go, or how its workflow ended when it never did (TERMINATED, …) */
  outcome?: string;
}

/** The entity's state, as its `state` query answers it and as one run hands it to the next. */
export interface ClusterState {
  cluster: string;
  record: ClusterRecord;
  holder?: Holder;
  /** the last upgrades, newest last (at most HISTORY_KEPT) */
  history: HeldBefore[];
}

/** The entity's input: the record the catalogue declares at first, the whole state after continue-as-new. */
export interface ClusterEntityInput {
  cluster: string;
  record: ClusterRecord;
  holder?: Holder;
  history?: HeldBefore[];
  /** continue-as-new once the history has this many events (default: when Temporal suggests it) */
  maxHistoryEvents?: number;
}

export interface AcquireRequest {
  holder: HolderRef;
  purpose: Purpose;
  target?: string;
}

/** The lock granted: the record as it stands (a lost holder already settled). */
export interface Acquired {
  record: ClusterRecord;
  /** the holder that had ended without letting go, now cleared */
  lost?: HeldBefore;
}

export type RecordPatch = Partial<Omit<ClusterRecord, 'cluster' | 'updated_at'>>;

export interface PatchRequest {
  holder: HolderRef;
  patch: RecordPatch;
}

/** Lets go of the lock, with a last change of the record (how the upgrade ended) or none. */
export interface ReleaseRequest {
  holder: HolderRef;
  patch?: RecordPatch;
}

/** What an activity found of a holder's workflow. */
export interface HolderState {
  running: boolean;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW, or GONE (no such run) */
  status: string;
}

export const sameHolder = (a: HolderRef | undefined, b: HolderRef) =>
  a !== undefined && a.workflowId === b.workflowId && a.runChain === b.runChain;

/** "upgrade upgrade-x (since 2026-…, to template y)" */
export function holderText(h: Holder): string {
  return `${h.purpose} ${h.workflowId} (since ${h.since}${h.target ? `, to ${h.target}` : ''})`;
}

/** How to watch or stop the holder of cluster `cluster`'s lock. */
export function holderAdvice(cluster: string, h: Holder): string {
  if (h.purpose === 'recover') return `wait for recover ${h.workflowId} to end`;
  return (
    `watch it with \`kru status ${cluster}\` or \`kru watch ${cluster}\`; stop it with \`kru abort ${cluster}\` ` +
    `(or \`temporal workflow cancel --workflow-id ${h.workflowId}\`) before starting another`
  );
}
