/**
 * The upgrade's story in the worker's log: a line (workflow `log`, not written while a workflow
 * replays) for each phase the upgrade enters and each step a node takes, with the node and the step as
 * attributes (./log-attributes.ts adds the cluster and the upgrade id).
 */
import { log } from '@temporalio/workflow';
import { FINISHED, type UpgradeStatus } from '../model/status.js';

/** Wraps an upgrade's status listener: logs what changed since the last status. */
export function logged(show: (status: UpgradeStatus) => void): (status: UpgradeStatus) => void {
  let phase = '';
  const steps: Record<string, string> = {};
  return (status) => {
    show(status);
    if (status.phase !== phase) {
      phase = status.phase;
      const why = status.pausedReason ? ` (${status.pausedReason})` : '';
      log.info(`upgrade of ${status.cluster}: ${phase}${why}`, { step: phase, done: status.done });
    }
    for (const n of status.nodes) {
      if (steps[n.name] === n.step) continue;
      const first = steps[n.name] === undefined;
      steps[n.name] = n.step;
      // first seen: pending, or finished in an earlier run (continue-as-new): nothing new to tell
      if (first && (n.step === 'pending' || FINISHED.includes(n.step))) continue;
      const detail = n.detail ? `: ${n.detail}` : '';
      const level = n.step === 'failed' || n.step === 'blocked' || n.step === 'replace-failed' ? 'warn' : 'info';
      log[level](`node ${n.name}: ${n.step}${detail}`, { node: n.name, step: n.step, version: n.version });
    }
  };
}
