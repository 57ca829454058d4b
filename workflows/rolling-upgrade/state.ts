/**
 * The state of one upgrade and its named transitions: the only place where it changes. The `status`
 * query's answer (./status.ts) and the payload a run hands to the next (`carry`) are derived from it.
 * Pure (unit-tested without Temporal); a listener is told after each transition.
 */
import { type Baseline, notReadyKey } from '../../model/baseline.js';
import type { GateResult, NodeState } from '../../model/kube.js';
import {
  type NodeProgress,
  type NodeReport,
  PARKED,
  type Unreachable,
  type UpgradeStatus,
} from '../../model/status.js';
import type { UpgradePlan, ValidatedUpgrade } from '../../model/upgrade.js';
import { sameVersion } from '../../model/versions.js';
import { failedChecks, statusOf } from './status.js';
import type { Carried, UpgradeData } from './types.js';

export type { Carried, UpgradeData } from './types.js';

export type DrainAction = 'retry' | 'force' | 'skip' | 'retry-replace';

export class Upgrade {
  private readonly d: UpgradeData;
  private listener?: (status: UpgradeStatus) => void;

  constructor(
    readonly workflowId: string,
    cluster: string,
    toTemplate: string,
  ) {
    this.d = {
      workflowId,
      cluster,
      toTemplate,
      phase: 'validating',
      started: false,
      nodes: [],
      abortRequested: false,
      errors: [],
      warnings: [],
      rejected: [],
    };
  }

  /**
   * A run continued from `carried`: validated, gated and recorded by the first run. A payload of another
   * shape (a run continued by an incompatible build) fails the workflow task, which Temporal retries,
   * rather than starting over from an empty node list and recording an upgrade that never happened.
   */
  static continued(workflowId: string, cluster: string, carried: Carried): Upgrade {
    if (!carried?.valid?.toVersion || !Array.isArray(carried.nodes) || carried.nodes.length === 0) {
      throw new Error(`upgrade ${workflowId} was continued with a payload this build cannot read`);
    }
    const u = new Upgrade(workflowId, cluster, carried.valid.toTemplate);
    Object.assign(u.d, carried, { phase: 'upgrading', started: true });
    return u;
  }

  carry(): Carried {
    const { valid, nodes, pauseRequest, abortRequested, lastGate, baseline, errors, warnings, rejected } = this.d;
    if (!valid) throw new Error('an upgrade continues as new only after it started');
    return { valid, nodes, pauseRequest, abortRequested, lastGate, baseline, errors, warnings, rejected };
  }

  /** Shows the status to `listener` now and after every transition (the UI's details, search attributes). */
  showTo(listener: (status: UpgradeStatus) => void): void {
    this.listener = listener;
    this.changed();
  }

  /** The template move passed validation: the pre-flight checks come next. */
  validated(valid: ValidatedUpgrade): void {
    this.d.valid = valid;
    this.d.phase = 'preflight';
    this.changed();
  }

  planned(plan: UpgradePlan): void {
    this.d.warnings = plan.warnings;
    this.d.nodes = plan.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      version: n.kubeletVersion,
      step: n.action === 'skip' && !n.unschedulable ? 'done' : 'pending',
      cordoned: false,
      detail: n.action === 'skip' ? 'already at the target version' : undefined,
    }));
    this.changed();
  }

  /** A health gate answered; returns whether it passed. */
  gated(result: GateResult): boolean {
    this.d.lastGate = result;
    if (result.healthy) this.d.unreachable = undefined; // the gate read the API server
    this.changed();
    return result.healthy;
  }

  /**
   * The pre-flight passed with `baseline` accepted. A node not Ready in it is left alone, at its
   * version (draining a node whose kubelet is gone waits forever; the operator accepted it broken):
   * it is skipped, and the record says the upgrade is partial. Keys accepted by name that the
   * pre-flight did not find are not part of it: a warning says so.
   */
  baselined(baseline: Baseline, named: readonly string[] = []): void {
    this.d.baseline = baseline;
    const accepted = new Set(baseline.accepted.map((p) => p.key));
    for (const n of this.d.nodes) {
      if (!accepted.has(notReadyKey(n.name)) || !['pending', 'done'].includes(n.step)) continue;
      n.step = 'skipped';
      n.detail = `not Ready before the upgrade (accepted): left alone at ${n.version}`;
    }
    const unused = named.filter((key) => !accepted.has(key));
    if (unused.length > 0) {
      this.d.warnings.push(
        `accepted but not found by the pre-flight, so not part of the baseline: ${unused.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    this.changed();
  }

  /** Pre-flight passed: from now on nodes are touched. */
  start(): void {
    this.d.started = true;
    this.d.phase = 'upgrading';
    this.changed();
  }

  /** The operator asks for a pause; it takes effect at the next safe point (`hold`). */
  pause(reason?: string): void {
    this.d.pauseRequest = reason ? `paused by the operator: ${reason}` : 'paused by the operator';
    this.changed();
  }

  /** A failed gate asks for a pause; `resume` runs the gate again. */
  gateFailed(what: string): void {
    this.d.pauseRequest = `health gate failed after ${what}: ${failedChecks(this.d.lastGate)}`;
    this.changed();
  }

  /** At a safe point, with a pause asked for: the upgrade waits for `resume` or `abort`. */
  hold(): void {
    this.d.phase = 'paused';
    this.changed();
  }

  /**
   * The operator resumes: the pause is lifted, blocked drains are retried and failed smoke pods run
   * again; returns those nodes.
   */
  resume(): string[] {
    this.d.pauseRequest = undefined;
    const blocked = this.blocked().map((n) => n.name);
    for (const name of blocked) this.setStep(name, 'drain');
    const smoked = this.d.nodes.filter((n) => n.step === 'smoke-failed').map((n) => n.name);
    for (const name of smoked) this.setStep(name, 'smoke');
    this.changed();
    return [...blocked, ...smoked];
  }

  /** After a hold or a window wait: nodes go again. */
  proceed(): void {
    this.d.phase = 'upgrading';
    this.d.window = undefined;
    this.changed();
  }

  waitForWindow(waitingUntil: string, spec: string): void {
    this.d.phase = 'waiting-for-window';
    this.d.window = { waitingUntil, spec };
    this.changed();
  }

  /** The operator's decision on a blocked drain or a failed replacement (skipped, it stays cordoned). */
  decide(node: string, action: DrainAction): void {
    const failedReplace = this.node(node)?.step === 'replace-failed';
    if (action === 'retry-replace') this.setStep(node, 'replace');
    else if (!failedReplace) this.setStep(node, action === 'skip' ? 'uncordon' : 'drain');
    this.changed();
  }

  /** An activity could not reach the cluster's API server (the earliest `since` is kept). */
  unreachable(u: Unreachable): void {
    this.d.unreachable = { ...u, since: this.d.unreachable?.since ?? u.since };
    this.changed();
  }

  /** An activity reached the API server again. */
  reachable(): void {
    if (!this.d.unreachable) return;
    this.d.unreachable = undefined;
    this.changed();
  }

  /**
   * Nodes found in the cluster that the plan did not know (they joined during the upgrade): one at
   * the target version counts as done, one at another version waits for a final batch. Returns the
   * names of those to upgrade.
   */
  joined(nodes: NodeState[]): string[] {
    const known = (name: string) => this.d.nodes.some((n) => n.name === name || n.replacedBy === name);
    const fresh = nodes.filter((n) => !known(n.name));
    for (const n of fresh) {
      const done = this.d.valid !== undefined && sameVersion(n.kubeletVersion, this.d.valid.toVersion);
      this.d.nodes.push({
        name: n.name,
        role: n.role,
        version: n.kubeletVersion,
        step: done ? 'done' : 'pending',
        cordoned: false,
        detail: done ? 'joined during the upgrade, at the target version' : 'joined during the upgrade',
      });
    }
    if (fresh.length > 0) this.changed();
    return fresh.filter((n) => this.node(n.name)?.step === 'pending').map((n) => n.name);
  }

  /**
   * A child's progress report. Reports are sent without waiting for delivery, so one may overtake
   * another: a report older (by `seq`) than the last one applied is stale and ignored.
   */
  report(report: NodeReport): void {
    const node = this.node(report.name);
    if (!node) return;
    // Forced deletions only ever grow: a stale report still adds those it names.
    const deleted = [...(node.deleted ?? [])];
    for (const d of report.deleted ?? []) if (!deleted.some((x) => x.pod === d.pod)) deleted.push(d);
    const stale = report.seq !== undefined && node.seq !== undefined && report.seq <= node.seq;
    if (!stale) Object.assign(node, report);
    if (deleted.length > 0) node.deleted = deleted;
    if (!stale || report.deleted?.length) this.changed();
  }

  /** A child ended; its last report came with its outcome. */
  nodeDone(report: NodeReport | undefined): void {
    if (report) this.report(report);
  }

  finalGate(): void {
    this.d.phase = 'final-gate';
    this.changed();
  }

  /** The operator asks to abort; it takes effect at the next safe point. */
  abort(reason?: string): void {
    if (!this.d.abortRequested) {
      this.d.errors.push(reason ? `abort requested: ${reason}` : 'abort requested by the operator');
    }
    this.d.abortRequested = true;
    this.changed();
  }

  /** A malformed operator message: nothing changes but this record of it (the last 20 are kept). */
  rejectMessage(problem: string): void {
    this.d.rejected = [...this.d.rejected, `refused: ${problem}`].slice(-20);
    this.changed();
  }

  /** The kubelet versions read at the end (the status says which node runs which version). */
  versionsSeen(nodes: NodeState[]): void {
    for (const n of nodes) {
      const p = this.d.nodes.find((x) => x.name === n.name || x.replacedBy === n.name);
      if (p) p.version = n.kubeletVersion;
    }
    this.changed();
  }

  /** Something went wrong that does not end the upgrade. */
  error(message: string): void {
    this.d.errors.push(message);
    this.changed();
  }

  aborted(): void {
    this.d.phase = 'aborted';
    this.changed();
  }

  fail(message: string): void {
    this.d.phase = 'failed';
    this.d.errors.push(message);
    this.changed();
  }

  complete(): void {
    this.d.phase = 'completed';
    this.changed();
  }

  get toVersion(): string | undefined {
    return this.d.valid?.toVersion;
  }

  get isAbortRequested(): boolean {
    return this.d.abortRequested;
  }

  get pauseRequested(): string | undefined {
    return this.d.pauseRequest;
  }

  node(name: string): NodeProgress | undefined {
    return this.d.nodes.find((n) => n.name === name);
  }

  /** Nodes whose drain waits for the operator. */
  blocked(): NodeProgress[] {
    return this.d.nodes.filter((n) => n.step === 'blocked');
  }

  /** Nodes waiting for the operator: a blocked drain or a failed replacement. */
  parked(): NodeProgress[] {
    return this.d.nodes.filter((n) => PARKED.includes(n.step));
  }

  /** Nodes of a role that no child has worked on yet, in plan order. */
  pending(role: NodeProgress['role']): string[] {
    return this.d.nodes.filter((n) => n.role === role && n.step === 'pending').map((n) => n.name);
  }

  count(role: NodeProgress['role']): number {
    return this.d.nodes.filter((n) => n.role === role).length;
  }

  /** The names of the nodes upgraded so far (a surge node under its new name). */
  upgraded(): string[] {
    return this.d.nodes.filter((n) => n.step === 'done').map((n) => n.replacedBy ?? n.name);
  }

  /** What the pre-flight found unhealthy and the operator accepted (none before it passed). */
  get baseline(): Baseline | undefined {
    return this.d.baseline;
  }

  /** The `status` query's answer. */
  view(): UpgradeStatus {
    return statusOf(this.d);
  }

  private setStep(name: string, step: NodeProgress['step']): void {
    const node = this.node(name);
    if (node) node.step = step;
  }

  private changed(): void {
    this.listener?.(this.view());
  }
}
