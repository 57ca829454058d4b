/**
 * How the CLI shows the baseline: `kru plan` lists what the pre-flight finds unhealthy, by key, and
 * whether the upgrade would start (what it would accept) or be refused; `kru status` lists what the
 * upgrade accepted.
 */
import { acceptHint, type Baseline, type GateProblem, problemText, unmatchedText } from '../model/baseline.js';
import type { GateResult } from '../model/kube.js';
import { table } from './table.js';

/** A node not Ready in the baseline is left alone (workflows/rolling-upgrade/state.ts `baselined`). */
const NODE_NOT_READY = /^node\/(.+) not Ready$/;

function verdict(p: GateProblem): string {
  const node = NODE_NOT_READY.exec(p.key)?.[1];
  const alone = node ? ` (${node} is then left alone at its version, not upgraded)` : '';
  if (p.accepted) return `accepted: in the baseline${alone}`;
  if (p.acceptable === 'key') return `refused; accepted only by key: --accept-unhealthy "${p.key}"${alone}`;
  if (p.acceptable === 'never') return 'refused; never accepted';
  return `refused; --accept-unhealthy accepts it${alone}`;
}

/**
 * The plan's pre-flight read: each problem by key, then whether the upgrade would start; `accepting`
 * is the plan's `acceptUnhealthy`, whose keys that match nothing found are named.
 */
export function baselineReport(health: GateResult, accepting?: boolean | readonly string[]): string {
  const problems = health.problems ?? [];
  const named = Array.isArray(accepting) ? accepting : [];
  const lines: string[] = [];
  if (problems.length === 0) {
    lines.push(health.healthy ? 'pre-flight: healthy, nothing to accept' : 'pre-flight: unhealthy');
  } else {
    lines.push(`pre-flight: ${problems.length} problem(s) already`);
    lines.push(
      table(
        ['problem (key)', 'seen', 'with these options'],
        problems.map((p) => [p.key, p.detail, verdict(p)]),
      ),
    );
  }
  const excluded = health.excluded ?? [];
  if (excluded.length > 0) lines.push(`excluded by the catalogue (not counted): ${excluded.join(', ')}`);
  if (health.healthy) {
    const accepted = problems.filter((p) => p.accepted).length;
    lines.push(
      accepted > 0
        ? `the upgrade would start with ${accepted} accepted problem(s) as its baseline: later gates fail only on what is new or worse`
        : 'the upgrade would start',
    );
    const unmatched = unmatchedText(problems, named);
    if (unmatched) lines.push(unmatched);
  } else {
    const failed = health.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    const hint = acceptHint(problems, named);
    lines.push(`the upgrade would be refused (${failed.join('; ')})${hint ? `; ${hint}` : ''}`);
  }
  return lines.join('\n');
}

/** `kru status`'s baseline: one accepted problem a line, then what the catalogue left out. */
export function baselineText(baseline: Baseline | null | undefined): string {
  if (!baseline) return '';
  const lines = baseline.accepted.map(problemText);
  if (lines.length === 0) lines.push('none accepted (healthy at the pre-flight)');
  if (baseline.excluded.length > 0) lines.push(`excluded by the catalogue: ${baseline.excluded.join(', ')}`);
  return lines.join('\n');
}
