/** Pure bookkeeping of the upgrade's status: applying node reports, counting, the UI's one-line summary. */
import type { NodeReport, UpgradeStatus } from '../model/status.js';

/** The steps after which a node's child has ended. */
export const FINISHED = new Set(['done', 'skipped', 'restored', 'failed']);

/**
 * Applies a child's report. Children send reports without waiting for each to be delivered, so one may
 * overtake another: a report older than the last one applied (by `seq`) is stale and ignored.
 */
export function applyReport(status: UpgradeStatus, report: NodeReport): void {
  const node = status.nodes.find((n) => n.name === report.name);
  if (!node) return;
  if (report.seq !== undefined && node.seq !== undefined && report.seq <= node.seq) return;
  Object.assign(node, report);
  recount(status);
}

export function recount(status: UpgradeStatus): void {
  status.done = status.nodes.filter((n) => n.step === 'done').length;
  status.remaining = status.nodes.filter((n) => !FINISHED.has(n.step)).length;
  status.current = status.nodes.filter((n) => !FINISHED.has(n.step) && n.step !== 'pending').map((n) => n.name);
}

/** The current details shown in the Temporal UI (markdown: blank lines keep its lines apart). */
export function details(status: UpgradeStatus): string {
  const lines = [
    `**${status.cluster}**: ${status.fromVersion ?? '?'} → ${status.toVersion ?? '?'} — phase **${status.phase}**` +
      (status.pausedReason ? ` (${status.pausedReason})` : ''),
    '',
    `nodes done ${status.done} of ${status.nodes.length}`,
    '',
  ];
  const total = status.nodes.length;
  for (const name of status.current) {
    const n = status.nodes.find((x) => x.name === name);
    if (!n) continue;
    const k = status.nodes.indexOf(n) + 1;
    lines.push(
      `- node ${k} of ${total} **${n.name}**: ${n.step}` +
        (n.podsLeft ? `, ${n.podsLeft} pod(s) left` : '') +
        (n.blocked?.length ? `; blocked: ${n.blocked.map((b) => `${b.pod} (${b.message})`).join('; ')}` : ''),
    );
  }
  if (status.lastGate && !status.lastGate.healthy) {
    lines.push(
      '',
      `last gate: ${status.lastGate.checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.detail}`)
        .join('; ')}`,
    );
  }
  return lines.join('\n');
}
