/**
 * The `status` query's answer, derived from the upgrade's state: the cluster status follows from the
 * phase, the counts and the nodes being worked on from the nodes' steps, the pause reason from why the
 * upgrade waits. Pure.
 */
import type { GateResult } from '../../model/kube.js';
import { FINISHED, type NodeProgress, PARKED, type Phase, type UpgradeStatus } from '../../model/status.js';
import type { UpgradeData } from './types.js';

export function statusOf(d: UpgradeData): UpgradeStatus {
  const blocked = d.nodes.filter((n) => PARKED.includes(n.step));
  const phase: Phase = d.phase === 'upgrading' && blocked.length > 0 ? 'paused' : d.phase;
  return {
    workflowId: d.workflowId,
    cluster: d.valid?.cluster ?? d.cluster, // the catalogue's name once validated, whether asked by name or uuid
    fromTemplate: d.valid?.fromTemplate,
    toTemplate: d.valid?.toTemplate ?? d.toTemplate,
    fromVersion: d.valid?.fromVersion,
    toVersion: d.valid?.toVersion,
    clusterStatus: clusterStatusOf(phase, d.started),
    phase,
    pausedReason: pausedReason(d, blocked),
    abortRequested: d.abortRequested,
    nodes: d.nodes,
    current: d.nodes.filter((n) => !FINISHED.includes(n.step) && n.step !== 'pending').map((n) => n.name),
    done: d.nodes.filter((n) => n.step === 'done').length,
    remaining: d.nodes.filter((n) => !FINISHED.includes(n.step)).length,
    lastGate: d.lastGate,
    baseline: d.baseline,
    errors: d.errors,
    warnings: d.warnings,
    rejected: d.rejected,
    forcedDeletions: d.nodes.flatMap((n) => n.deleted ?? []),
    unreachable: d.unreachable,
    health: d.unreachable ? 'UNREACHABLE' : d.lastGate ? (d.lastGate.healthy ? 'HEALTHY' : 'UNHEALTHY') : 'UNKNOWN',
    window: d.phase === 'waiting-for-window' ? d.window : undefined,
  };
}

/** The cluster's status (as `openstack coe cluster show` names it) while the upgrade is in `phase`. */
export function clusterStatusOf(phase: Phase, started: boolean): UpgradeStatus['clusterStatus'] {
  if (!started) return 'VALIDATING';
  switch (phase) {
    case 'paused':
      return 'UPDATE_PAUSED';
    case 'completed':
      return 'UPDATE_COMPLETE';
    case 'aborted':
      return 'UPDATE_ABORTED';
    case 'failed':
      return 'UPDATE_FAILED';
    default:
      return 'UPDATE_IN_PROGRESS';
  }
}

/** "nodes: w-1 NotReady; probe http://…: 503": the checks a gate failed. */
export function failedChecks(gate: GateResult | undefined): string {
  return (gate?.checks ?? [])
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.detail}${c.lookAt ? ` (look at ${c.lookAt})` : ''}`)
    .join('; ');
}

/** "API server of c1 unreachable since 03:12:09 UTC, attempt 4: connect ECONNREFUSED …" */
export function unreachableText(s: Pick<UpgradeStatus, 'unreachable' | 'cluster'>): string | undefined {
  const u = s.unreachable;
  if (!u) return undefined;
  return `API server of ${s.cluster} unreachable since ${u.since.slice(11, 19)} UTC, attempt ${u.attempt}: ${u.message}`;
}

function pausedReason(d: UpgradeData, parked: NodeProgress[]): string | undefined {
  const drains = parked.filter((n) => n.step === 'blocked').map((n) => n.name);
  const replacements = parked.filter((n) => n.step === 'replace-failed').map((n) => n.name);
  const waits: string[] = [];
  if (drains.length > 0) {
    waits.push(
      `drain blocked on ${drains.join(', ')}: waiting for an operator (retryDrain, forceDrain, skipNode, resume or abort)`,
    );
  }
  if (replacements.length > 0) {
    waits.push(
      `replacement failed on ${replacements.join(', ')} (left cordoned): waiting for an operator (retryReplace, skipNode or abort)`,
    );
  }
  for (const n of parked.filter((x) => x.step === 'smoke-failed')) {
    waits.push(
      `smoke pod never Ready on ${n.name}: ${n.smoke?.detail ?? n.detail ?? ''}${n.smoke?.lookAt ? `; look at ${n.smoke.lookAt}` : ''}; waiting for an operator (resume runs it again, or abort)`,
    );
  }
  if (waits.length > 0) return waits.join('; ');
  if (d.phase === 'paused') return d.pauseRequest;
  if (d.phase === 'waiting-for-window' && d.window)
    return `waiting for maintenance window until ${d.window.waitingUntil}`;
  return undefined;
}
