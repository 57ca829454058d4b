/**
 * The upgrade's metrics emitted from workflow code, through the SDK's workflow metric meter: nothing
 * is emitted while a workflow replays, so a worker that takes an upgrade over counts nothing twice. The
 * gauges are set again at the first transition after a replay (what was set before it is not trusted).
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import { METRICS } from '../model/metrics.js';
import type { NodeRole } from '../model/kube.js';
import { type Phase, type UpgradeStatus } from '../model/status.js';

const PHASES: readonly Phase[] = [
  'validating',
  'preflight',
  'upgrading',
  'paused',
  'waiting-for-window',
  'final-gate',
  'completed',
  'aborted',
  'failed',
];
const ENDED: readonly Phase[] = ['completed', 'aborted', 'failed'];

const gauge = (m: { name: string; help: string }) => metricMeter.createGauge(m.name, 'int', undefined, m.help);

/**
 * Wraps an upgrade's status listener: after each transition the node counts, the blocked nodes and the
 * phase gauges are set when they changed, and an upgrade that ends is counted once by outcome. A start
 * `refused` because another upgrade holds the cluster's lock is no upgrade of the cluster: it is not
 * counted, and its phase gauges end at 0 (the upgrade that holds the lock is the one running).
 */
export function measured(
  show: (status: UpgradeStatus) => void,
  refused: () => boolean = () => false,
): (status: UpgradeStatus) => void {
  let last = '';
  let lastPhase: Phase | undefined;
  return (status) => {
    show(status);
    const tags = { cluster: status.cluster, upgrade_id: status.workflowId };
    const blocked = (step: string) => status.nodes.filter((n) => n.step === step).length;
    const values = [status.done, status.remaining, blocked('blocked'), blocked('replace-failed'), status.phase];
    const now = JSON.stringify(values);
    if (now === last) return;
    if (workflowInfo().unsafe.isReplaying) return; // nothing is emitted: set them all after the replay
    const endedNow = ENDED.includes(status.phase) && lastPhase !== status.phase;
    const lockedOut = endedNow && refused();
    last = now;
    lastPhase = status.phase;
    gauge(METRICS.nodesUpgraded).set(status.done, tags);
    gauge(METRICS.nodesRemaining).set(status.remaining, tags);
    for (const step of ['blocked', 'replace-failed']) gauge(METRICS.nodesBlocked).set(blocked(step), { ...tags, step });
    for (const phase of PHASES)
      gauge(METRICS.phase).set(phase === status.phase && !lockedOut ? 1 : 0, { ...tags, phase });
    if (endedNow && !lockedOut) {
      const m = METRICS.upgradesEnded;
      metricMeter.createCounter(m.name, undefined, m.help).add(1, { cluster: status.cluster, outcome: status.phase });
    }
  };
}

const histogram = (m: { name: string; help: string }) => metricMeter.createHistogram(m.name, 'float', 's', m.help);

/** Workflow time since `startedMs` (Date.now() in a workflow is the time of its task), in seconds. */
const since = (startedMs: number) => Math.max(0, (Date.now() - startedMs) / 1000);

/** One node's upgrade ended with `outcome`. */
export function observeNodeUpgrade(cluster: string, role: NodeRole, outcome: string, startedMs: number): void {
  histogram(METRICS.nodeUpgradeSeconds).record(since(startedMs), { cluster, role, outcome });
}

/** One node's drain left the node empty. */
export function observeDrain(cluster: string, startedMs: number): void {
  histogram(METRICS.drainSeconds).record(since(startedMs), { cluster });
}
