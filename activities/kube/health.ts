/**
 * The health gate: the API server answers and passes its own checks (etcd among them), the scheduler
 * and the controller-manager hold their leader Leases, nodes Ready (upgraded ones at the version
 * expected and free of pressure and network conditions), workloads available, PodDisruptionBudgets
 * satisfied, HTTP probes passing. Fail closed: a check that cannot be made counts as unhealthy, never
 * as healthy. Every read and probe is cut at the gate's deadline, so the gate activity never outlives
 * its timeout.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { GateCheck, GateResult } from '../../model/kube.js';
import { sameVersion } from '../../model/versions.js';
import { type Probe, probeChecks } from '../probe.js';
import { apiServerHealth } from './apiserver.js';
import { abortable } from './raw.js';
import { apiMessage, type Kube } from './client.js';
import { budgetName } from './budgets.js';
import { conditionProblems } from './conditions.js';
import { controlPlaneHealth } from './control-plane.js';
import { nodeState } from './nodes.js';

export interface GateRequest {
  /** nodes that must report this kubelet version (those already upgraded) */
  upgradedNodes?: string[];
  targetVersion?: string;
  probes?: Probe[];
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

type Found = string[] | { problems: string[]; ok: string };

async function check(name: string, fn: () => Promise<Found>, okDetail: string, deadline: number): Promise<GateCheck> {
  try {
    const found = await bounded(fn(), deadline);
    const [problems, ok] = Array.isArray(found) ? [found, okDetail] : [found.problems, found.ok];
    return { name, ok: problems.length === 0, detail: problems.length === 0 ? ok : problems.join('; ') };
  } catch (err) {
    return { name, ok: false, detail: `could not check: ${apiMessage(err)}` };
  }
}

function nodeProblems(v1Nodes: V1Node[], req: GateRequest): string[] {
  const nodes = v1Nodes.map(nodeState);
  const problems = nodes.filter((n) => !n.ready).map((n) => `${n.name} not Ready`);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const name of req.upgradedNodes ?? []) {
    const n = byName.get(name);
    if (!n) problems.push(`${name} missing`);
    else if (req.targetVersion && !sameVersion(n.kubeletVersion, req.targetVersion)) {
      problems.push(`${name} runs ${n.kubeletVersion}, not ${req.targetVersion}`);
    }
  }
  return problems;
}

async function workloadProblems(kube: Kube, signal: AbortSignal): Promise<string[]> {
  const options = abortable(signal);
  const problems: string[] = [];
  const [deployments, statefulSets, daemonSets] = await Promise.all([
    kube.apps.listDeploymentForAllNamespaces({}, options),
    kube.apps.listStatefulSetForAllNamespaces({}, options),
    kube.apps.listDaemonSetForAllNamespaces({}, options),
  ]);
  for (const d of deployments.items) {
    const want = d.spec?.replicas ?? 1;
    const have = d.status?.availableReplicas ?? 0;
    if (have < want) problems.push(`deployment ${d.metadata?.namespace}/${d.metadata?.name} ${have}/${want} available`);
  }
  for (const s of statefulSets.items) {
    const want = s.spec?.replicas ?? 1;
    const have = s.status?.readyReplicas ?? 0;
    if (have < want) problems.push(`statefulset ${s.metadata?.namespace}/${s.metadata?.name} ${have}/${want} ready`);
  }
  for (const ds of daemonSets.items) {
    const want = ds.status?.desiredNumberScheduled ?? 0;
    const have = ds.status?.numberAvailable ?? 0;
    if (have < want)
      problems.push(`daemonset ${ds.metadata?.namespace}/${ds.metadata?.name} ${have}/${want} available`);
  }
  return problems;
}

async function budgetProblems(kube: Kube, signal: AbortSignal): Promise<string[]> {
  const problems: string[] = [];
  for (const b of (await kube.policy.listPodDisruptionBudgetForAllNamespaces({}, abortable(signal))).items) {
    const s = b.status;
    if (!s || (s.observedGeneration ?? 0) < (b.metadata?.generation ?? 0)) {
      problems.push(`${budgetName(b)} not yet observed by the disruption controller`);
    } else if (s.currentHealthy < s.desiredHealthy) {
      problems.push(`${budgetName(b)} has ${s.currentHealthy} healthy, needs ${s.desiredHealthy}`);
    }
  }
  return problems;
}

/** One round of every check; `ctx.deadline` bounds it all. */
export async function gate(kube: Kube, req: GateRequest, ctx: GateContext): Promise<GateResult> {
  const { deadline } = ctx;
  // Requests end just after the deadline: `bounded` has reported them by then, in its own words.
  const left = Math.max(1, deadline - Date.now()) + 1000;
  const signal = ctx.signal ? AbortSignal.any([AbortSignal.timeout(left), ctx.signal]) : AbortSignal.timeout(left);
  const at = () => new Date().toISOString();

  // The API first: when it does not answer, its own health checks say why and nothing else is read.
  const first = await Promise.all([
    check(
      'api',
      async () => ((await kube.core.listNode({ limit: 1 }, abortable(signal))) ? [] : ['no answer']),
      'ok',
      deadline,
    ),
    check('apiserver', () => apiServerHealth(kube, signal), 'ok', deadline),
  ]);
  if (!first[0]?.ok) return { healthy: false, checks: first, at: at() };

  // The rest are independent reads: made at once, reported in a fixed order.
  const upgraded = req.upgradedNodes ?? [];
  const nodes = bounded(kube.core.listNode({}, abortable(signal)), deadline).then((list) => list.items);
  nodes.catch(() => undefined); // each check below reports its own failure
  const checks = await Promise.all([
    check('control-plane', () => controlPlaneHealth(kube, signal), 'ok', deadline),
    check('nodes', async () => nodeProblems(await nodes, req), 'all Ready', deadline),
    check(
      'node-conditions',
      async () => conditionProblems(await nodes, upgraded),
      upgraded.length > 0 ? `none on the ${upgraded.length} upgraded node(s)` : 'no node upgraded yet',
      deadline,
    ),
    check('workloads', () => workloadProblems(kube, signal), 'all available', deadline),
    check('budgets', () => budgetProblems(kube, signal), 'all satisfied', deadline),
    // probes cut every attempt and wait to the deadline themselves; only a cancellation aborts them
    probeChecks(req.probes ?? [], ctx.probeHosts ?? (() => []), kube.cluster, { ...ctx, deadline }),
  ]);
  const all = [...first, ...(checks.flat() as GateCheck[])];
  return { healthy: all.every((c) => c.ok), checks: all, at: at() };
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
