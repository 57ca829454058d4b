/** How a notification and a Node Event put the upgrade's facts in words. Pure. */
import type { BlockedPod, GateResult } from '../../model/kube.js';

const LISTED = 10;

/** "default/nginx-1 (budget default/nginx-pdb), default/bare (unmanaged) and 3 more" */
export function blockedPods(blocked: BlockedPod[]): string {
  const named = blocked
    .slice(0, LISTED)
    .map((b) => `${b.pod} (${b.budget ? `budget ${b.budget}` : b.reason})`)
    .join(', ');
  return blocked.length > LISTED ? `${named} and ${blocked.length - LISTED} more` : named;
}

/** The budgets that refused evictions, each once. */
export function blockingBudgets(blocked: BlockedPod[]): string[] {
  return [...new Set(blocked.flatMap((b) => (b.budget ? [b.budget] : [])))];
}

/** "drain blocked after 60 s: 1 pod(s) left: …; waiting for the operator (retryDrain, forceDrain, skipNode or abort)" */
export function drainBlocked(detail: string, podsLeft: number | undefined, blocked: BlockedPod[]): string {
  const pods = blocked.length > 0 ? `: ${podsLeft ?? blocked.length} pod(s) left: ${blockedPods(blocked)}` : '';
  return `${detail}${pods}; waiting for the operator (retryDrain, forceDrain, skipNode or abort)`;
}

/** The checks that failed, with what each saw. */
export function failingChecks(result: GateResult | undefined): { name: string; detail: string }[] {
  return (result?.checks ?? []).filter((c) => !c.ok).map(({ name, detail }) => ({ name, detail }));
}

/** "health gate failed after node w-0: nodes-ready: w-0 is NotReady; the upgrade pauses until resumed" */
export function gateFailed(what: string, result: GateResult | undefined): string {
  const checks = failingChecks(result)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
  return `health gate failed after ${what}: ${checks || 'no check passed'}; the upgrade pauses until resumed`;
}
