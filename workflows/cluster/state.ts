/**
 * The cluster entity's state and its transitions: grant the lock, change the record (only by the
 * holder), let go, and clear a holder whose workflow ended without letting go. Pure (the time comes in
 * as an argument); plain JSON, so it carries over continue-as-new as it is.
 */
import type {
  AcquireRequest,
  ClusterEntityInput,
  ClusterState,
  HeldBefore,
  Holder,
  HolderRef,
  HolderState,
  RecordPatch,
} from '../../model/lock.js';
import { sameHolder } from '../../model/lock.js';

/** How many earlier holders the entity remembers. */
export const HISTORY_KEPT = 50;

/** An upgrade that ended holding the lock while its record said this had not finished. */
const UNFINISHED = /^UPDATE_(IN_PROGRESS|PAUSED)$/;

export class ClusterLedger {
  readonly state: ClusterState;

  constructor(input: ClusterEntityInput) {
    this.state = {
      cluster: input.cluster,
      record: input.record,
      holder: input.holder,
      history: input.history ?? [],
    };
  }

  get holder(): Holder | undefined {
    return this.state.holder;
  }

  isHolder(ref: HolderRef): boolean {
    return sameHolder(this.state.holder, ref);
  }

  /** Grants the lock to `req` (again, when it holds it already: a retried request). */
  grant(req: AcquireRequest, now: string): void {
    if (this.isHolder(req.holder)) return;
    const { workflowId, runChain } = req.holder;
    this.state.holder = { workflowId, runChain, purpose: req.purpose, target: req.target, since: now };
  }

  /** The holder's change of the record. */
  patch(patch: RecordPatch, now: string): void {
    this.state.record = { ...this.state.record, ...patch, cluster: this.state.cluster, updated_at: now };
  }

  /** The holder lets go, with its last change of the record. */
  release(patch: RecordPatch | undefined, now: string): void {
    if (patch) this.patch(patch, now);
    this.remember(now, this.state.record.status);
  }

  /**
   * The holder's workflow ended (terminated, timed out, its history gone) without letting go: the lock
   * is free again, and a record it left unfinished says how it ended. Returns what was cleared.
   */
  lost(found: HolderState, now: string): HeldBefore | undefined {
    const h = this.state.holder;
    if (!h) return undefined;
    const record = this.state.record;
    if (h.purpose === 'upgrade' && UNFINISHED.test(record.status) && record.workflow_id === h.workflowId) {
      this.patch(
        {
          status: 'UPDATE_FAILED',
          status_reason:
            `upgrade ${h.workflowId} ended ${found.status.toLowerCase()} while ${record.status} ` +
            '(it did not put back the nodes it worked on: `recover` the cluster, or start a new upgrade, which takes them over)',
        },
        now,
      );
    }
    return this.remember(now, found.status);
  }

  /** Moves the holder to the history (newest last, HISTORY_KEPT at most). */
  private remember(now: string, outcome: string): HeldBefore | undefined {
    const h = this.state.holder;
    if (!h) return undefined;
    const { workflowId, runChain, purpose, target, since } = h;
    const entry: HeldBefore = { workflowId, runChain, purpose, target, since, ended: now, outcome };
    this.state.history = [...this.state.history, entry].slice(-HISTORY_KEPT);
    this.state.holder = undefined;
    return entry;
  }

  /** Notes that the holder was found running (an obvious conflict for a while: see index.ts). */
  seenRunning(now: string): void {
    if (this.state.holder) this.state.holder = { ...this.state.holder, seenRunning: now };
  }

  /** What a run hands to the next. */
  carry(maxHistoryEvents?: number): ClusterEntityInput {
    return { ...this.state, maxHistoryEvents };
  }
}
