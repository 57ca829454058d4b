/**
 * The baseline: what was already unhealthy before the upgrade, as problems with stable keys
 * (`node/minion-1 not Ready`, `deployment default/web unavailable`), which the operator accepts at the
 * pre-flight (`acceptUnhealthy`). Later gates then fail only on what is worse than it: a problem whose
 * key is not in it, a workload or budget short of more pods than it was, any problem of a node the
 * upgrade replaced (even one the catalogue excludes). Fail closed: the API server's checks, the control plane, probes and a check that
 * could not be made are accepted only when named by key; an API that does not answer never is.
 * Pure: the gate activity judges with it, the workflow keeps the baseline, the CLI shows it.
 */

/** A problem a gate found: a stable key, what was seen and, for a workload or a budget, how many pods short. */
export interface Problem {
  key: string;
  detail: string;
  /** replicas (or healthy pods) short of what is wanted: a later gate fails when more are short */
  short?: number;
}

/** How a problem may be accepted: by `acceptUnhealthy: true` (absent), only by its key, or never. */
export type Acceptable = 'key' | 'never';

/** A problem as a gate reports it (GateResult.problems). */
export interface GateProblem extends Problem {
  /** covered: at the pre-flight by what the operator accepted, later by the baseline */
  accepted?: true;
  acceptable?: Acceptable;
}

/** What a check found, before it is judged: what it is about, for exclusions and upgraded nodes. */
export interface Finding extends Problem {
  /** `node/<name>`, `deployment/<namespace>/<name>`, … as `health.exclude.objects` names it */
  object?: string;
  namespace?: string;
  /** the node it is about: a node the upgrade replaced must be healthy whatever it was before */
  node?: string;
  acceptable?: Acceptable;
}

/** What the operator accepted: at the pre-flight `acceptUnhealthy`, at later gates the baseline. */
export interface Acceptance {
  /** every problem but those accepted only by key (`acceptUnhealthy: true`) */
  all?: boolean;
  /** problems with these keys, of any kind but an API that does not answer */
  keys?: string[];
  /** the baseline (later gates): a problem with its key passes unless worse */
  baseline?: Problem[];
}

/** The baseline the workflow keeps, shows in its status and writes in the cluster's record. */
export interface Baseline {
  /** ISO time of the pre-flight gate that found it */
  at: string;
  /** what the pre-flight found and the operator accepted */
  accepted: Problem[];
  /** what the pre-flight left out because the catalogue excludes it (health.exclude) */
  excluded: string[];
}

/** The catalogue's `health.exclude` of a cluster: objects no gate counts. */
export interface Exclusions {
  namespaces?: string[];
  objects?: string[];
}

export const ACCEPTED_BEFORE = 'already so before the upgrade (accepted)';

/** The key of a node that is not Ready. */
export const notReadyKey = (node: string) => `node/${node} not Ready`;

/** What `acceptUnhealthy` accepts: nothing (false or absent), every problem but by-key ones (true), or these keys. */
export function acceptanceOf(acceptUnhealthy: boolean | readonly string[] | undefined): Acceptance | undefined {
  if (acceptUnhealthy === true) return { all: true };
  if (Array.isArray(acceptUnhealthy) && acceptUnhealthy.length > 0) return { keys: [...acceptUnhealthy] };
  return undefined;
}

function excluded(f: Finding, ex: Exclusions | undefined): boolean {
  if (!ex) return false;
  return (
    (f.object !== undefined && (ex.objects ?? []).includes(f.object)) ||
    (f.namespace !== undefined && (ex.namespaces ?? []).includes(f.namespace))
  );
}

/** One check's findings, judged. */
export interface Judged {
  /** the check passes: nothing new */
  ok: boolean;
  /** what the check says: new problems first, then the accepted ones, then what it left out */
  detail: string;
  problems: GateProblem[];
  /** findings on objects the catalogue excludes, as seen */
  excluded: string[];
}

/**
 * Judges one check's findings against what the operator accepted and the catalogue's exclusions.
 * Without either, the detail is the findings as they are (`okDetail` when none).
 */
export function judge(
  findings: readonly Finding[],
  okDetail: string,
  rules: { accept?: Acceptance; exclusions?: Exclusions; upgraded?: readonly string[] },
): Judged {
  const { accept, exclusions } = rules;
  const upgraded = rules.upgraded ?? [];
  const baseline = accept?.baseline ?? [];
  const fresh: string[] = [];
  const covered: string[] = [];
  const problems: GateProblem[] = [];
  const left: string[] = [];
  for (const f of findings) {
    const touched = f.node !== undefined && upgraded.includes(f.node);
    // the catalogue's exclusion covers what was there before: a node the upgrade replaced is its own
    if (!touched && excluded(f, exclusions)) {
      left.push(f.detail);
      continue;
    }
    const { key, detail, short, acceptable } = f;
    const problem: GateProblem = { key, detail, ...(short !== undefined ? { short } : {}) };
    if (acceptable) problem.acceptable = acceptable;
    problems.push(problem);
    const before = baseline.find((b) => b.key === key);
    const named = before !== undefined || (accept?.keys ?? []).includes(key) || excluded(f, exclusions);
    if (acceptable === 'never' || touched) {
      fresh.push(named ? `${detail} (upgraded: it must be healthy whatever it was before the upgrade)` : detail);
    } else if (before) {
      // short of pods now but not before (a budget the disruption controller had not yet observed): worse
      if (short !== undefined && (before.short === undefined || short > before.short)) {
        fresh.push(`${detail} (worse than before the upgrade: ${before.detail})`);
      } else {
        problem.accepted = true;
        covered.push(`${detail}: ${ACCEPTED_BEFORE}`);
      }
    } else if (named || (accept?.all === true && acceptable === undefined)) {
      problem.accepted = true;
      covered.push(`${detail} (accepted)`);
    } else {
      fresh.push(baseline.length > 0 ? `${detail} (new)` : detail);
    }
  }
  const leftOut = left.length > 0 ? `excluded by the catalogue: ${left.join(', ')}` : undefined;
  const said = [...fresh, ...covered];
  const detail =
    said.length === 0
      ? `${okDetail}${leftOut ? ` (${leftOut})` : ''}`
      : [...said, ...(leftOut ? [leftOut] : [])].join('; ');
  return { ok: fresh.length === 0, detail, problems, excluded: left };
}

/** The baseline a passed pre-flight gate makes: what it accepted and what it left out. */
export function baselineOf(result: {
  at: string;
  problems?: readonly GateProblem[];
  excluded?: readonly string[];
}): Baseline {
  return {
    at: result.at,
    accepted: (result.problems ?? [])
      .filter((p) => p.accepted)
      .map(({ key, detail, short }) => ({ key, detail, ...(short !== undefined ? { short } : {}) })),
    excluded: [...(result.excluded ?? [])],
  };
}

/** "node/minion-1 not Ready", or "deployment default/web unavailable: deployment default/web 1/2 available". */
export function problemText(p: Problem): string {
  return p.key.endsWith(p.detail) ? p.key : `${p.key}: ${p.detail}`;
}

/** Keys `acceptUnhealthy` named that the pre-flight did not find (a typo, or a problem since gone). */
export function unmatchedKeys(problems: readonly GateProblem[], named: readonly string[]): string[] {
  return named.filter((key) => !problems.some((p) => p.key === key));
}

/** "--accept-unhealthy named keys the pre-flight did not find: …", or '' when it found them all. */
export function unmatchedText(problems: readonly GateProblem[], named: readonly string[]): string {
  const unmatched = unmatchedKeys(problems, named);
  if (unmatched.length === 0) return '';
  return (
    `--accept-unhealthy named keys the pre-flight did not find, so they accept nothing: ` +
    `${unmatched.map((k) => `"${k}"`).join(', ')} (a key is written exactly as the pre-flight lists it)`
  );
}

/**
 * What the operator can do about the problems a pre-flight refused on: `--accept-unhealthy` for those
 * it accepts, naming the key for the others, nothing for an API that does not answer; and which of the
 * keys the operator `named` match nothing found.
 */
export function acceptHint(problems: readonly GateProblem[], named: readonly string[] = []): string {
  const open = problems.filter((p) => !p.accepted);
  const any = open.filter((p) => p.acceptable === undefined).map((p) => `"${p.key}"`);
  const byKey = open.filter((p) => p.acceptable === 'key').map((p) => `"${p.key}"`);
  const never = open.filter((p) => p.acceptable === 'never').map((p) => `"${p.key}"`);
  const said: string[] = [];
  if (any.length > 0) {
    said.push(
      `to upgrade anyway, accept what is already unhealthy as the baseline with --accept-unhealthy ` +
        `(workflow input "acceptUnhealthy": true): ${any.join(', ')}; later gates then fail only on what is new or worse`,
    );
  }
  if (byKey.length > 0) {
    said.push(
      `accepted only when named by key (--accept-unhealthy KEY..., "acceptUnhealthy": [KEY, ...]): ${byKey.join(', ')}`,
    );
  }
  if (never.length > 0) said.push(`never accepted: ${never.join(', ')}`);
  const unmatched = unmatchedText(problems, named);
  if (unmatched) said.push(unmatched);
  return said.join('; ');
}
