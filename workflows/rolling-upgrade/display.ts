/**
 * What the Temporal UI and list queries show of an upgrade: its current details (a markdown summary)
 * and its search attributes (cluster, target version, phase), kept in step with its status.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { problemText } from '../../model/baseline.js';
import { UpgradeCluster, UpgradePhase, UpgradeTargetVersion } from '../../model/search.js';
import type { UpgradeStatus } from '../../model/status.js';
import { failedChecks, unreachableText } from './status.js';

/** The current details (markdown: blank lines keep its lines apart). */
export function details(status: UpgradeStatus): string {
  const lines = [
    `**${status.cluster}**: ${status.fromVersion ?? '?'} → ${status.toVersion ?? '?'} — phase **${status.phase}**` +
      (status.pausedReason ? ` (${status.pausedReason})` : ''),
    '',
    `nodes done ${status.done} of ${status.nodes.length}`,
    '',
  ];
  const accepted = status.baseline?.accepted ?? [];
  if (accepted.length > 0) lines.push(`accepted before the upgrade: ${accepted.map(problemText).join(', ')}`, '');
  const unreachable = unreachableText(status);
  if (unreachable) lines.push(`**${unreachable}**`, '');
  if (status.forcedDeletions.length > 0) {
    lines.push(`pods deleted by force: ${status.forcedDeletions.map((d) => `${d.pod} (${d.node})`).join(', ')}`, '');
  }
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
  const rejected = status.rejected.at(-1);
  if (rejected) lines.push('', `last message ${rejected}`);
  if (status.lastGate && !status.lastGate.healthy) {
    lines.push('', `last gate: ${failedChecks(status.lastGate)}`);
  }
  return lines.join('\n');
}

/** Returns a function that shows a status: details always, search attributes when one of them changed. */
export function display(): (status: UpgradeStatus) => void {
  let written = '';
  return (status) => {
    setCurrentDetails(details(status));
    const pairs: SearchAttributeUpdatePair[] = [
      { key: UpgradeCluster, value: status.cluster },
      { key: UpgradePhase, value: status.phase },
    ];
    if (status.toVersion) pairs.push({ key: UpgradeTargetVersion, value: status.toVersion });
    const now = JSON.stringify(pairs.map((p) => p.value));
    if (now === written) return;
    written = now;
    upsertSearchAttributes(pairs);
  };
}
