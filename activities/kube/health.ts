/**
 * The health gate: the API server answers and passes its own checks (etcd among them), the scheduler
 * and the controller-manager hold their leader Leases, nodes Ready (upgraded ones at the version
 * expected and free of pressure and network conditions), workloads available, PodDisruptionBudgets
 * satisfied, HTTP probes passing. Fail closed: a check that cannot be made counts as unhealthy, never
 * as healthy. Every read and probe is cut at the gate's deadline, so the gate activity never outlives
 * its timeout. Each problem has a stable key; what the operator accepted at the pre-flight (the
 * baseline) passes unless worse, and objects the catalogue excludes are not counted
 * (model/baseline.ts).
 */
import { type Acceptance, type Exclusions, type Finding, type GateProblem, judge } from '../../model/baseline.js';
import type { GateCheck, GateResult } from '../../model/kube.js';
import { type Probe, probeChecks } from '../probe.js';
import { apiServerHealth } from './apiserver.js';
import { apiMessage, type Kube } from './client.js';
import { budgetProblems, conditionFindings, controlPlaneProblems, nodeProblems, workloadProblems } from './findings.js';
import { lookAtFor } from './look-at.js';
import { abortable } from './raw.js';

export interface GateRequest {
  /** nodes that must report this kubelet version (those already upgraded) */
  upgradedNodes?: string[];
  targetVersion?: string;
  probes?: Probe[];
  /** what the operator accepted: at the pre-flight `acceptUnhealthy`, later the baseline */
  accept?: Acceptance;
}

/** What a gate round is given by the worker (never by the workflow input). */
export interface GateContext {
  /** epoch ms: every read and probe of the round ends by then */
  deadline: number;
  sleep(ms: number): Promise<void>;
  /** cancellation of the activity */
  signal?: AbortSignal;
  /** the hosts the cluster's catalogue entry lets probes reach; none unless it lists them */
  probeHosts?: () => readonly string[];
  /** what the cluster's catalogue entry excludes from every gate (read each round) */
  exclusions?: () => Exclusions | undefined;
}

/** A round always gets this long, so that even a 1 s gate reads the cluster once. */
const MIN_ROUND_MS = 5000;
/** Between heartbeats while a round runs (the gate activity's heartbeat timeout is 30 s). */
const HEARTBEAT_MS = 5000;

/** `work`, or a rejection when `deadline` comes first. */
async function bounded<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer before the gate's deadline")), deadline - Date.now());
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Found = Finding[] | { problems: Finding[]; ok: string };

/** One check, judged: the check as shown, and its problems by key. */
interface Judged {
  check: GateCheck;
  problems: GateProblem[];
  excluded: string[];
}

type Judge = (name: string, findings: Finding[], ok: string) => Judged;

async function check(
  name: string,
  fn: () => Promise<Found>,
  okDetail: string,
  deadline: number,
  judged: Judge,
): Promise<Judged> {
  let findings: Finding[];
  let ok = okDetail;
  try {
    const found = await bounded(fn(), deadline);
    [findings, ok] = Array.isArray(found) ? [found, okDetail] : [found.problems, found.ok];
  } catch (err) {
    // fail closed: a check that cannot be made is a problem, accepted only when named by key
    findings = [{ key: `${name} could not check`, detail: `could not check: ${apiMessage(err)}`, acceptable: 'key' }];
  }
  return judged(name, findings, ok);
}

/** A probe's check, judged like the others: a failing probe is accepted only by its key (`probe <url>`). */
function probeJudged(c: GateCheck, judged: Judge): Judged {
  return c.ok
    ? { check: c, problems: [], excluded: [] }
    : judged(c.name, [{ key: c.name, detail: c.detail, acceptable: 'key' }], c.detail);
}

/** The catalogue's exclusions as they stand; none when they cannot be read (every object then counts). */
function readExclusions(ctx: GateContext): Exclusions | undefined {
  try {
    return ctx.exclusions?.();
  } catch {
    return undefined;
  }
}

/** One round of every check; `ctx.deadline` bounds it all. */
export async function gate(kube: Kube, req: GateRequest, ctx: GateContext): Promise<GateResult> {
  const { deadline } = ctx;
  // Requests end just after the deadline: `bounded` has reported them by then, in its own words.
  const left = Math.max(1, deadline - Date.now()) + 1000;
  const signal = ctx.signal ? AbortSignal.any([AbortSignal.timeout(left), ctx.signal]) : AbortSignal.timeout(left);
  const at = () => new Date().toISOString();
  const rules = { accept: req.accept, exclusions: readExclusions(ctx), upgraded: req.upgradedNodes ?? [] };
  const judged: Judge = (name, findings, ok) => {
    const j = judge(findings, ok, rules);
    const lookAt = j.ok ? undefined : lookAtFor(name);
    return {
      check: { name, ok: j.ok, detail: j.detail, ...(lookAt ? { lookAt } : {}) },
      problems: j.problems,
      excluded: j.excluded,
    };
  };
  const result = (all: Judged[]): GateResult => ({
    healthy: all.every((j) => j.check.ok),
    checks: all.map((j) => j.check),
    at: at(),
    problems: all.flatMap((j) => j.problems),
    excluded: all.flatMap((j) => j.excluded),
  });

  // The API first: when it does not answer, its own health checks say why and nothing else is read.
  const listed = async (): Promise<Finding[]> =>
    (await kube.core.listNode({ limit: 1 }, abortable(signal))) ? [] : [{ key: 'api', detail: 'no answer' }];
  const first = await Promise.all([
    // an API that does not answer is never accepted: nothing else could be read
    check('api', listed, 'ok', deadline, (name, findings, ok) =>
      judged(
        name,
        findings.map((f) => ({ ...f, acceptable: 'never' as const })),
        ok,
      ),
    ),
    check('apiserver', () => apiServerHealth(kube, signal), 'ok', deadline, judged),
  ]);
  if (!first[0]?.check.ok) return result(first);

  // The rest are independent reads: made at once, reported in a fixed order.
  const upgraded = req.upgradedNodes ?? [];
  const nodes = bounded(kube.core.listNode({}, abortable(signal)), deadline).then((list) => list.items);
  nodes.catch(() => undefined); // each check below reports its own failure
  const checks = await Promise.all([
    check('control-plane', () => controlPlaneProblems(kube, signal), 'ok', deadline, judged),
    check('nodes', async () => nodeProblems(await nodes, req), 'all Ready', deadline, judged),
    check(
      'node-conditions',
      async () => conditionFindings(await nodes, upgraded),
      upgraded.length > 0 ? `none on the ${upgraded.length} upgraded node(s)` : 'no node upgraded yet',
      deadline,
      judged,
    ),
    check('workloads', () => workloadProblems(kube, signal), 'all available', deadline, judged),
    check('budgets', () => budgetProblems(kube, signal), 'all satisfied', deadline, judged),
    // probes cut every attempt and wait to the deadline themselves; only a cancellation aborts them
    probeChecks(req.probes ?? [], ctx.probeHosts ?? (() => []), kube.cluster, { ...ctx, deadline }).then((cs) =>
      cs.map((c) => probeJudged(c, judged)),
    ),
  ]);
  return result([...first, ...checks.flat()]);
}

/** Checks until healthy or until `timeoutMs`; returns the last result. */
export async function gateUntilHealthy(
  kube: Kube,
  req: GateRequest,
  timeoutMs: number,
  hooks: Omit<GateContext, 'deadline'> & { heartbeat(r: GateResult): void },
): Promise<GateResult> {
  const deadline = Date.now() + timeoutMs;
  let last: GateResult = { healthy: false, checks: [], at: new Date().toISOString() };
  // A round can take until the deadline (probes, an API server slow to answer): heartbeat meanwhile.
  const ticker = setInterval(() => hooks.heartbeat(last), HEARTBEAT_MS);
  try {
    for (;;) {
      last = await gate(kube, req, { ...hooks, deadline: Math.max(deadline, Date.now() + MIN_ROUND_MS) });
      hooks.heartbeat(last);
      if (last.healthy || Date.now() >= deadline) return last;
      await hooks.sleep(Math.min(1000, Math.max(1, deadline - Date.now())));
    }
  } finally {
    clearInterval(ticker);
  }
}
