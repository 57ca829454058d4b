/** What the Temporal Web UI shows of a cluster's entity: its record and lock as current details (markdown). */
import { setCurrentDetails } from '@temporalio/workflow';
import type { ClusterState } from '../../model/lock.js';
import { holderText } from '../../model/lock.js';

/** The last upgrades shown (the `state` query has them all). */
const SHOWN = 5;

export function stateDetails(s: ClusterState): string {
  const r = s.record;
  const lines = [
    `**${s.cluster}**: **${r.status}** — template ${r.template} (${r.coe_version || '?'})`,
    '',
    `status_reason: ${r.status_reason}`,
    '',
    `updated ${r.updated_at}${r.workflow_id ? ` by ${r.workflow_id}` : ''}`,
    '',
    s.holder ? `lock: held by ${holderText(s.holder)}` : 'lock: free',
  ];
  if ((r.left_cordoned ?? []).length > 0) lines.push('', `left cordoned: ${(r.left_cordoned ?? []).join(', ')}`);
  const last = s.history.slice(-SHOWN).reverse();
  if (last.length > 0) {
    lines.push('', 'last upgrades:', '');
    for (const h of last)
      lines.push(
        `- ${h.purpose} ${h.workflowId}${h.target ? ` to ${h.target}` : ''}: ${h.outcome ?? '?'} (${h.ended ?? '?'})`,
      );
  }
  return lines.join('\n');
}

export function showState(s: ClusterState): void {
  setCurrentDetails(stateDetails(s));
}
