/**
 * The plan's estimate of how long an upgrade takes, from what the cluster looks like before it starts.
 * It follows the workflow's steps: control-plane nodes one at a time, then workers in batches (or by
 * surge); per node cordon → drain → replace → Ready → uncordon; after each batch the soak and the
 * health gate; once per upgrade validation, the plan, the pre-flight gate and the record.
 *
 * What it takes for granted (each figure is given back as a sentence in `assumes`):
 * - a node's replacement takes the provider's time (`replace`);
 * - an evicted pod takes its whole grace period to go (a kubelet running a preStop hook does; a pod
 *   that exits sooner makes the upgrade faster than estimated);
 * - a pod that replaces an evicted one is Ready after `podStart` (observed on the cluster's running
 *   pods); the drain and the gate wait for it only when that is longer than the grace period, or when
 *   a budget lets fewer pods go at once than a batch holds;
 * - an evicted pod lands evenly on the schedulable nodes (no NoSchedule taint, not cordoned): it is
 *   evicted again when that node's turn comes, so nodes that run none of its pods now may still wait
 *   for one (counted by expectation);
 * - the fixed costs below, measured on the local cluster (API calls, workflow tasks, child starts);
 * - no time waiting for an operator: drains that need one (refused pods, budgets that never allow) or
 *   failed gates are not counted.
 * Pure code: activities/kube/plan.ts gathers the inputs.
 */
import { workerBatchSize } from './batches.js';
import type { UpgradeOptions } from './upgrade.js';

/** Once per upgrade: validation, the plan, the pre-flight gate, the final record. */
export const RUN_S = 1.5;
/** Once per batch: starting the children, the health gate's reads, workflow tasks. */
export const STEP_S = 0.2;
/** Once per node: snapshot, cordon, the drain's first pass, the Ready check, uncordon, progress reports. */
export const NODE_S = 0.3;
/** Per node of a batch after the first: the batch's nodes share the worker and the API server. */
export const SHARED_NODE_S = 0.15;
/** How often a drain looks again for an evicted pod to be gone (activities/kube/drain.ts). */
export const TERMINATION_POLL_S = 0.5;
/** How often a drain retries an eviction a budget refused (activities/kube/drain.ts). */
export const EVICTION_RETRY_S = 2;
/** How often the gate checks again while replicas are not yet available (activities/kube/health.ts). */
export const GATE_RETRY_S = 1;

/** A pod the drain will evict, reduced to what its timing depends on. */
export interface EstimatePod {
  /** its controller (kind/namespace/name): the pods that move, and are evicted again, together */
  workload: string;
  /** seconds between its eviction and its disappearance */
  graceSeconds: number;
  /** the budget covering it, if any */
  budget?: string;
}

export interface EstimateNode {
  name: string;
  role: 'control-plane' | 'worker';
  /** false for a node already at the target version: never drained, but pods may land on it */
  upgrade: boolean;
  /** an evicted pod may be scheduled here (not cordoned, no NoSchedule or NoExecute taint) */
  schedulable: boolean;
  /** the pods its drain will evict now */
  pods: EstimatePod[];
  /** whether DaemonSet pods run on it (they start again on the replaced node before the gate passes) */
  daemonPods: boolean;
}

/** A duration and where it comes from, as the plan says it. */
export interface Timing {
  seconds: number;
  basis: string;
}

export interface EstimateInput {
  /** every node, in the order the upgrade takes them (control plane first) */
  nodes: EstimateNode[];
  /** how many evictions each budget allows at once now */
  budgets: Record<string, number>;
  replace: Timing;
  /** time from a pod's creation to Ready */
  podStart: Timing;
  options: Pick<UpgradeOptions, 'soakSeconds' | 'maxSurge' | 'maxUnavailable' | 'probes'>;
  /** drains that will stop for an operator (not counted) */
  waitsForOperator: number;
}

export interface Estimate {
  seconds: number;
  assumes: string[];
}

/** The batches the workflow will run: each control-plane node alone, then workers by batch size. */
export function upgradeBatches(nodes: EstimateNode[], options: EstimateInput['options']): EstimateNode[][] {
  const todo = nodes.filter((n) => n.upgrade);
  const size = workerBatchSize(options, nodes.filter((n) => n.role === 'worker').length);
  const batches = todo.filter((n) => n.role !== 'worker').map((n) => [n]);
  const workers = todo.filter((n) => n.role === 'worker');
  for (let i = 0; i < workers.length; i += size) batches.push(workers.slice(i, i + size));
  return batches;
}

/**
 * Per workload, the chance that batch j evicts at least one of its pods: 1 when one runs there now,
 * else from the pods expected to land there after earlier evictions (Poisson: 1 - e^-expected). A pod
 * evicted in batch j lands on a schedulable node outside batch j, evenly; on a node of a later batch
 * it is evicted again.
 */
export function evictionChances(batches: EstimateNode[][], nodes: EstimateNode[]): Map<string, number[]> {
  const schedulable = nodes.filter((n) => n.schedulable).length;
  const inBatch = batches.map((b) => b.filter((n) => n.schedulable).length);
  const workloads = new Set(nodes.flatMap((n) => n.pods.map((p) => p.workload)));
  const chances = new Map<string, number[]>();
  for (const w of workloads) {
    const now = batches.map((b) => b.reduce((sum, n) => sum + n.pods.filter((p) => p.workload === w).length, 0));
    // moved[k] = inBatch[k] × Σ_{j<k} evicted[j] / (schedulable − inBatch[j]): a running sum
    let landing = 0;
    chances.set(
      w,
      batches.map((_, k) => {
        const moved = (inBatch[k] ?? 0) * landing;
        const evicted = (now[k] ?? 0) + moved;
        const elsewhere = schedulable - (inBatch[k] ?? 0);
        if (elsewhere > 0) landing += evicted / elsewhere;
        return (now[k] ?? 0) > 0 ? 1 : 1 - Math.exp(-moved);
      }),
    );
  }
  return chances;
}

/** Seconds one probe takes when it passes at once: `successes` answers, an interval between each. */
const probeSeconds = (p: NonNullable<EstimateInput['options']['probes']>[number]) =>
  ((p.successes ?? 3) - 1) * ((p.intervalMs ?? 1000) / 1000) + 0.1 * (p.successes ?? 3);

const round = (s: number) => Math.round(s * 10) / 10;

export function estimateUpgrade(input: EstimateInput): Estimate {
  const { options, replace, podStart } = input;
  const batches = upgradeBatches(input.nodes, options);
  const chances = evictionChances(batches, input.nodes);
  const graceOf = new Map<string, number>(); // a workload's slowest pod
  for (const p of input.nodes.flatMap((n) => n.pods))
    graceOf.set(p.workload, Math.max(graceOf.get(p.workload) ?? 0, p.graceSeconds));
  const gate = STEP_S + (options.probes ?? []).reduce((sum, p) => sum + probeSeconds(p), 0);
  const retry = Math.max(EVICTION_RETRY_S, Math.ceil(podStart.seconds / EVICTION_RETRY_S) * EVICTION_RETRY_S);
  const levels = [...new Set(graceOf.values())].sort((a, b) => b - a);

  let seconds = RUN_S + gate; // the pre-flight gate
  batches.forEach((batch, j) => {
    // The batch's drains wait for the longest grace period among the pods evicted there (by expectation:
    // Σ over grace levels of the chance that a pod at least that slow is evicted), then more rounds
    // when a budget lets fewer of the batch's pods go at once than it holds.
    let drain = 0;
    levels.forEach((g, i) => {
      const next = levels[i + 1] ?? 0;
      const none = [...graceOf].filter(([, grace]) => grace >= g).map(([w]) => 1 - (chances.get(w)?.[j] ?? 0));
      drain += (g - next) * (1 - none.reduce((a, b) => a * b, 1));
    });
    const anyEviction = 1 - [...chances.values()].reduce((a, c) => a * (1 - (c[j] ?? 0)), 1);
    drain += anyEviction * TERMINATION_POLL_S;
    const perBudget = new Map<string, number>();
    for (const p of batch.flatMap((n) => n.pods))
      if (p.budget) perBudget.set(p.budget, (perBudget.get(p.budget) ?? 0) + 1);
    let rounds = 0;
    for (const [b, count] of perBudget)
      rounds = Math.max(rounds, Math.ceil(count / Math.max(1, input.budgets[b] ?? 1)) - 1);
    drain += rounds * retry;
    // The gate waits for evicted pods' replicas when they take longer to start than the grace period,
    // and for the DaemonSet pods of the replaced nodes to start there again.
    let replicas = 0;
    for (const [w, c] of chances)
      replicas = Math.max(replicas, (c[j] ?? 0) * Math.max(0, podStart.seconds - (graceOf.get(w) ?? 0)));
    const daemons = batch.some((n) => n.daemonPods) ? Math.max(0, podStart.seconds - GATE_RETRY_S) : 0;
    const steps = NODE_S + (batch.length - 1) * SHARED_NODE_S;
    seconds += STEP_S + steps + drain + replace.seconds + Math.max(replicas, daemons) + options.soakSeconds + gate;
  });
  seconds += options.soakSeconds + gate; // the final gate

  const upgraded = batches.reduce((sum, b) => sum + b.length, 0);
  const workerBatches = batches.filter((b) => b[0]?.role === 'worker').length;
  const assumes = [
    `${upgraded} node(s) in ${batches.length} step(s): ${batches.length - workerBatches} control-plane node(s) one at a time, ` +
      `${workerBatches} batch(es) of workers${options.maxSurge > 0 ? ' by surge' : ''}`,
    `a replacement takes ${replace.seconds} s (${replace.basis})`,
    `an evicted pod takes its whole grace period to go; its replacement is Ready after ${podStart.seconds} s (${podStart.basis})`,
    'an evicted pod lands evenly on the schedulable nodes and is evicted again if its new node is still to be upgraded',
    `fixed costs measured on the local cluster: ${NODE_S} s per node (+${SHARED_NODE_S} s per other node of its batch), ` +
      `${STEP_S} s per step and gate, ${RUN_S} s per upgrade`,
  ];
  if (options.soakSeconds > 0)
    assumes.push(`a soak of ${options.soakSeconds} s after each step and before the final gate`);
  if (input.waitsForOperator > 0)
    assumes.push(
      `no time waiting for an operator (${input.waitsForOperator} drain(s) will stop for one; see the warnings)`,
    );
  return { seconds: round(seconds), assumes };
}
