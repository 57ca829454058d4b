/**
 * The health gate: API server ready, nodes Ready (at the versions expected), workloads available,
 * PodDisruptionBudgets satisfied, HTTP probes passing. Fail closed: a check that cannot be made
 * counts as unhealthy, never as healthy.
 */
import type { GateCheck, GateResult } from '../../model/kube.js';
import { sameVersion } from '../../model/versions.js';
import { type Probe, runProbe } from '../probe.js';
import { apiMessage, type Kube } from './client.js';
import { budgetName } from './budgets.js';
import { nodeState } from './nodes.js';

export interface GateRequest {
  /** nodes that must report this kubelet version (those already upgraded) */
  upgradedNodes?: string[];
  targetVersion?: string;
  probes?: Probe[];
}

async function check(name: string, fn: () => Promise<string[]>, okDetail: string): Promise<GateCheck> {
  try {
    const problems = await fn();
    return { name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : problems.join('; ') };
  } catch (err) {
    return { name, ok: false, detail: `could not check: ${apiMessage(err)}` };
  }
}

export async function gate(kube: Kube, req: GateRequest, sleep: (ms: number) => Promise<void>): Promise<GateResult> {
  const checks: GateCheck[] = [];
  checks.push(
    await check(
      'api',
      async () => {
        const text = await kube.core.listNode({ limit: 1 });
        return text ? [] : ['no answer'];
      },
      'ok',
    ),
  );
  if (!checks[0]?.ok) return { healthy: false, checks, at: new Date().toISOString() };

  // The cluster checks are independent reads: made at once, reported in a fixed order.
  checks.push(
    ...(await Promise.all([
      check(
        'nodes',
        async () => {
          const nodes = (await kube.core.listNode()).items.map(nodeState);
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
        },
        'all Ready',
      ),
      check(
        'workloads',
        async () => {
          const problems: string[] = [];
          const [deployments, statefulSets, daemonSets] = await Promise.all([
            kube.apps.listDeploymentForAllNamespaces(),
            kube.apps.listStatefulSetForAllNamespaces(),
            kube.apps.listDaemonSetForAllNamespaces(),
          ]);
          for (const d of deployments.items) {
            const want = d.spec?.replicas ?? 1;
            const have = d.status?.availableReplicas ?? 0;
            if (have < want)
              problems.push(`deployment ${d.metadata?.namespace}/${d.metadata?.name} ${have}/${want} available`);
          }
          for (const s of statefulSets.items) {
            const want = s.spec?.replicas ?? 1;
            const have = s.status?.readyReplicas ?? 0;
            if (have < want)
              problems.push(`statefulset ${s.metadata?.namespace}/${s.metadata?.name} ${have}/${want} ready`);
          }
          for (const ds of daemonSets.items) {
            const want = ds.status?.desiredNumberScheduled ?? 0;
            const have = ds.status?.numberAvailable ?? 0;
            if (have < want)
              problems.push(`daemonset ${ds.metadata?.namespace}/${ds.metadata?.name} ${have}/${want} available`);
          }
          return problems;
        },
        'all available',
      ),
      check(
        'budgets',
        async () => {
          const problems: string[] = [];
          for (const b of (await kube.policy.listPodDisruptionBudgetForAllNamespaces()).items) {
            const s = b.status;
            if (!s || (s.observedGeneration ?? 0) < (b.metadata?.generation ?? 0)) {
              problems.push(`${budgetName(b)} not yet observed by the disruption controller`);
            } else if (s.currentHealthy < s.desiredHealthy) {
              problems.push(`${budgetName(b)} has ${s.currentHealthy} healthy, needs ${s.desiredHealthy}`);
            }
          }
          return problems;
        },
        'all satisfied',
      ),
    ])),
  );

  for (const probe of req.probes ?? []) {
    const run = await runProbe(probe, sleep);
    checks.push({
      name: `probe ${probe.url}`,
      ok: run.ok,
      detail: run.ok
        ? `${probe.successes ?? 3} successes in a row (${run.failures} failure(s) before)`
        : `${run.failures}/${run.attempts} failed; last: ${run.lastError ?? ''}`,
    });
  }
  return { healthy: checks.every((c) => c.ok), checks, at: new Date().toISOString() };
}

/** Checks until healthy or until `timeoutMs`; returns the last result. */
export async function gateUntilHealthy(
  kube: Kube,
  req: GateRequest,
  timeoutMs: number,
  hooks: { sleep(ms: number): Promise<void>; heartbeat(r: GateResult): void },
): Promise<GateResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Probes can take a while: heartbeat at every attempt so the gate is not taken for dead.
    const result = await gate(kube, req, async (ms) => {
      hooks.heartbeat({ healthy: false, checks: [], at: new Date().toISOString() });
      await hooks.sleep(ms);
    });
    hooks.heartbeat(result);
    if (result.healthy || Date.now() >= deadline) return result;
    await hooks.sleep(1000);
  }
}
