/**
 * A child's progress reports to its parent. Reports ride along with the next command instead of
 * costing a round trip each (numbered, so the parent drops one overtaken by a newer one); the last one
 * is returned with the outcome, and a failure's is awaited, so the parent has it before it learns
 * that this child ended. Every report says whether the node is cordoned: a newer report must not lose
 * what an older, dropped one said.
 */
import { CancellationScope, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { FINISHED, type NodeReport } from '../../model/status.js';
import { apiReach, DESCRIPTIONS, nodeProgress } from '../control.js';

export class Reporter {
  private seq = 0;
  private cordoned = false;
  /** the final report, returned with the outcome */
  last?: NodeReport;
  private readonly parent: ReturnType<typeof getExternalWorkflowHandle>;

  constructor(
    private readonly node: string,
    parentId: string,
  ) {
    this.parent = getExternalWorkflowHandle(parentId);
    // The worker says whether this node's activities reach the API server: the upgrade shows it.
    setHandler(
      apiReach,
      (reach) => {
        CancellationScope.nonCancellable(() => this.parent.signal(apiReach, reach)).catch(() => undefined);
      },
      { description: DESCRIPTIONS.apiReach },
    );
  }

  /** The node is now cordoned (said by the next report, without one of its own). */
  cordon(): void {
    this.cordoned = true;
  }

  async report(r: Omit<NodeReport, 'name'>): Promise<void> {
    if (r.cordoned !== undefined) this.cordoned = r.cordoned;
    const full: NodeReport = { name: this.node, ...r, cordoned: this.cordoned, seq: ++this.seq };
    const final = r.step !== undefined && FINISHED.includes(r.step);
    if (final && r.step !== 'failed') {
      this.last = full;
      return;
    }
    // Reports go out even while this workflow is cancelled: its compensation must be told.
    const sent = CancellationScope.nonCancellable(() => this.parent.signal(nodeProgress, full));
    if (final) {
      await sent;
      return;
    }
    sent.catch(() => undefined); // the parent is gone: nothing to tell it
  }
}
