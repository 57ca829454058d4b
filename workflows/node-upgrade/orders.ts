/**
 * What the parent tells a running child: abort (cancels a running drain at once) and the operator's
 * decision on a blocked drain or a failed replacement. A cancellation of this workflow (the Web UI's
 * cancel, `temporal workflow cancel`, or the upgrade's own cancellation) is an abort too.
 */
import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import type { DrainDecision } from '../../model/status.js';
import { abortNode, DESCRIPTIONS, drainDecision } from '../control.js';

export class Orders {
  aborted = false;
  private decision?: DrainDecision;
  /** the scope of the drain running now, cancelled by an abort */
  drainScope?: CancellationScope;

  constructor() {
    const abort = () => {
      this.aborted = true;
      this.drainScope?.cancel();
    };
    setHandler(abortNode, abort, { description: DESCRIPTIONS.abortNode });
    CancellationScope.current().cancelRequested.catch(abort);
    setHandler(
      drainDecision,
      (d) => {
        this.decision = d;
      },
      { description: DESCRIPTIONS.drainDecision },
    );
  }

  /** Forgets an earlier decision: the next blocked drain waits for a new one. */
  expectDecision(): void {
    this.decision = undefined;
  }

  /** The operator's decision, or undefined when the node is aborted first. */
  async decided(): Promise<DrainDecision | undefined> {
    // Not cancellable: a cancellation sets `aborted`, which ends the wait.
    await CancellationScope.nonCancellable(() => condition(() => this.decision !== undefined || this.aborted));
    return this.aborted ? undefined : this.decision;
  }
}
