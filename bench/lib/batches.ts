/**
 * Where a batched upgrade's time went, from the parent's runs and every child's history: each batch's
 * wall time (first child started → last child closed) with the steps of its slowest node, the health
 * gates, and what is left (child starts, workflow tasks, continue-as-new, between batches).
 */
import type { Client } from '@temporalio/client';
import { batchSize } from '../../model/batches.js';
import type { NodeProgress, UpgradeStatus } from '../../model/status.js';
import { activitySpans, childHistories, eventMs, historyOf, workflowTaskMs } from './history.js';

interface ChildProfile {
  node: NodeProgress;
  start: number;
  end: number;
  /** milliseconds per activity type */
  steps: Map<string, number>;
  /** of which waiting in the task queue */
  queued: number;
  workflowTasks: number;
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => sum(xs) / Math.max(1, xs.length);

async function childProfiles(client: Client, workflowId: string, nodes: NodeProgress[]): Promise<ChildProfile[]> {
  const histories = await childHistories(
    client,
    workflowId,
    nodes.map((n) => n.name),
  );
  return histories.map((events, i) => {
    const steps = new Map<string, number>();
    let queued = 0;
    for (const a of activitySpans(events)) {
      steps.set(a.type, (steps.get(a.type) ?? 0) + a.ms);
      queued += a.queuedMs;
    }
    const node = nodes[i]!;
    return {
      node,
      start: eventMs(events[0]),
      end: eventMs(events.at(-1)),
      steps,
      queued,
      workflowTasks: workflowTaskMs(events),
    };
  });
}

/** Milliseconds of each completed health gate, over the parent's runs. */
async function gateTimes(client: Client, workflowId: string, runIds: string[]): Promise<number[]> {
  const gates: number[] = [];
  for (const runId of runIds) {
    for (const a of activitySpans(await historyOf(client, workflowId, runId))) {
      if (a.type === 'healthGate' && a.outcome === 'completed') gates.push(a.ms);
    }
  }
  return gates;
}

/** Report lines: the batches, per node steps (all | slowest of each batch), per batch averages, gates, rest. */
export async function batchBreakdown(
  client: Client,
  workflowId: string,
  runIds: string[],
  status: UpgradeStatus,
  maxUnavailable: string,
  total: number,
): Promise<string[]> {
  const children = await childProfiles(
    client,
    workflowId,
    status.nodes.filter((n) => n.step === 'done'),
  );
  const gates = await gateTimes(client, workflowId, runIds);
  const masters = children.filter((c) => c.node.role === 'control-plane');
  const workers = children.filter((c) => c.node.role !== 'control-plane');
  const size = batchSize(maxUnavailable, workers.length);
  const batches = [...masters.map((m) => [m])];
  for (let i = 0; i < workers.length; i += size) batches.push(workers.slice(i, i + size));
  const walls = batches.map((b) => Math.max(...b.map((c) => c.end)) - Math.min(...b.map((c) => c.start)));
  const slowest = batches.map((b) => b.reduce((a, c) => (c.end - c.start > a.end - a.start ? c : a)));
  const steps = [...new Set(children.flatMap((c) => [...c.steps.keys()]))];
  const avg = (list: ChildProfile[], step: string) => sum(list.map((c) => c.steps.get(step) ?? 0)) / list.length;
  const workerWalls = walls.slice(masters.length);
  const workerBatches = batches.slice(masters.length);
  const spread = mean(
    workerBatches.map((b) => Math.max(...b.map((c) => c.start)) - Math.min(...b.map((c) => c.start))),
  );
  const ran = mean(workers.map((c) => c.end - c.start));
  const longest = mean(workerBatches.map((b) => Math.max(...b.map((c) => c.end - c.start))));
  const inActivities = mean(workers.map((c) => sum([...c.steps.values()])));
  return [
    `batches: ${masters.length} control-plane nodes, ${s(sum(walls.slice(0, masters.length)))} s in all; ` +
      `${workerWalls.length} worker batches of up to ${size}, ${s(sum(workerWalls))} s in all ` +
      `(each ${s(Math.min(...workerWalls))}–${s(Math.max(...workerWalls))} s)`,
    `  per node, average over all | slowest node of each batch: ` +
      steps
        .map((step) => [step, avg(children, step), avg(slowest, step)] as const)
        .sort((a, b) => b[2] - a[2])
        .map(([step, all, slow]) => `${step} ${s(all)} | ${s(slow)} s`)
        .join(', '),
    `  per worker batch on average: children started over ${s(spread)} s (first → last start); a child ran ` +
      `${s(ran)} s on average, the batch's longest ${s(longest)} s; per child ${s(inActivities)} s in activities ` +
      `(${s(mean(workers.map((c) => c.queued)))} s of it queued for a worker slot), ` +
      `${s(mean(workers.map((c) => c.workflowTasks)))} s in workflow tasks`,
    `health gates: ${gates.length}, ${s(sum(gates))} s in all (longest ${s(Math.max(0, ...gates))} s)`,
    `rest (child starts, workflow tasks, continue-as-new, between batches): ${s(total - sum(walls) - sum(gates))} s`,
  ];
}
