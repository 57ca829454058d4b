/**
 * The upgrade's `nodeUpgrade` children: one per node (id `<upgrade id>/<node>`), started a batch at a
 * time, told the operator's decisions and aborts while they run.
 */
import { CancellationScope, getExternalWorkflowHandle, isCancellation, startChild } from '@temporalio/workflow';
import { type DrainDecision, FINISHED } from '../../model/status.js';
import type { UpgradeOptions } from '../../model/upgrade.js';
import { Aborted } from '../aborted.js';
import { abortNode, drainDecision } from '../control.js';
import { observeNodeUpgrade } from '../metrics.js';
import { nodeUpgrade, type NodeOutcome } from '../node-upgrade/index.js';
import type { Upgrade } from './state.js';

type ChildHandle = ReturnType<typeof getExternalWorkflowHandle>;

export class NodeChildren {
  /** nodes whose child runs now (plain JSON, like all workflow state) */
  private readonly running: string[] = [];

  constructor(
    private readonly upgrade: Upgrade,
    private readonly cluster: string,
    private readonly options: UpgradeOptions,
    /** the upgrade's first run id: with its workflow id, names this upgrade among all with that id */
    private readonly upgradeRun: string,
  ) {}

  /**
   * Upgrades the nodes at once and waits for all; throws the first failure, or Aborted if any aborted.
   * A failure aborts the others (restored, not left waiting for an operator while the upgrade fails).
   */
  async batch(nodes: string[]): Promise<void> {
    const results = await Promise.allSettled(
      nodes.map((node) =>
        this.run(node).catch(async (err: unknown) => {
          await this.abortAll();
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (results.some((r) => r.status === 'fulfilled' && r.value === 'aborted')) throw new Aborted();
  }

  /** Tells every child started and not finished to abort, including those that have not reported yet. */
  async abortAll(): Promise<void> {
    await Promise.all(this.running.map((node) => this.tell(node, (h) => h.signal(abortNode))));
  }

  /** Passes the operator's decision on a blocked drain to the node's child. */
  async decide(node: string, decision: DrainDecision): Promise<void> {
    await this.tell(node, (h) => h.signal(drainDecision, decision));
  }

  private id(node: string): string {
    return `${this.upgrade.workflowId}/${node}`;
  }

  private async run(node: string): Promise<NodeOutcome> {
    this.running.push(node);
    const role = this.upgrade.node(node)?.role ?? 'worker';
    const surge = this.options.maxSurge > 0 && role === 'worker';
    const started = Date.now();
    try {
      const child = await startChild(nodeUpgrade, {
        workflowId: this.id(node),
        args: [
          {
            cluster: this.cluster,
            node,
            toVersion: this.upgrade.toVersion ?? '',
            upgradeId: this.upgrade.workflowId,
            upgradeRun: this.upgradeRun,
            options: this.options,
            ...(surge ? { surge } : {}),
          },
        ],
      });
      if (this.upgrade.isAbortRequested) {
        // the abort (or a cancellation) came while it started: told even from a cancelled scope
        await CancellationScope.nonCancellable(() => child.signal(abortNode)).catch(() => undefined);
      }
      const result = await child.result();
      if (typeof result?.outcome !== 'string') {
        // A child of another build: its outcome unknown, the node must not count as upgraded.
        throw new Error(`the child of node ${node} returned a result this build cannot read`);
      }
      this.upgrade.nodeDone(result.report);
      observeNodeUpgrade(this.cluster, role, result.outcome, started);
      return result.outcome;
    } catch (err) {
      // Ended without its last word (terminated, or a failure before its report): still cordoned, say so.
      const n = this.upgrade.node(node);
      if (n?.cordoned && !FINISHED.includes(n.step)) this.upgrade.report({ name: node, leftCordoned: true });
      observeNodeUpgrade(this.cluster, role, isCancellation(err) ? 'aborted' : 'failed', started);
      throw err;
    } finally {
      this.running.splice(this.running.indexOf(node), 1);
    }
  }

  private async tell(node: string, send: (h: ChildHandle) => Promise<void>): Promise<void> {
    try {
      await CancellationScope.nonCancellable(() => send(getExternalWorkflowHandle(this.id(node))));
    } catch {
      // the child already finished: nothing to tell it
    }
  }
}
