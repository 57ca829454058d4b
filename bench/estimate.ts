/**
 * Benchmark: the plan's estimate beside the upgrade's real duration. Each case starts a local cluster
 * (the seed's workloads: nginx with 2 replicas and a budget, a DaemonSet on every node), asks a worker
 * for the plan as `kru plan` does (the `upgradePlan` workflow), then runs the real `rollingUpgrade`
 * with the same request and times it from start to result. Cases:
 *
 *   demo   the demo's upgrade (demo/main.ts): 3 control plane + 3 workers, the shipped catalogue
 *          (replacement 2 s), soak 1 s, workers one at a time
 *   50     50 nodes (3 control plane + 47 workers), the shipped catalogue, maxUnavailable 5
 *
 * Prints per case the estimate, the actual duration, their ratio, what the estimate assumed and where
 * the time went (bench/lib/batches.ts); fails unless every estimate is within ±50 % of its actual.
 *
 *   npm run bench:estimate [-- CASE...]   (default: demo 50)
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { workerDeps } from '../activities/deps.js';
import { forgetEntity } from '../client/entity.js';
import type { UpgradeStatus } from '../model/status.js';
import type { UpgradePlan, UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';
import { down, up } from '../localcluster/cluster.js';
import { createWorker, quietRuntime } from '../worker/worker.js';
import { batchBreakdown } from './lib/batches.js';
import { cores, figure, load, log, secs } from './lib/report.js';
import {
  CLUSTER,
  FROM,
  SHIPPED_CATALOGUE,
  TEMPLATE,
  activitySettings,
  benchCluster,
  temporalServer,
} from './lib/setup.js';

interface Case {
  name: string;
  what: string;
  nodes: number;
  request: Partial<UpgradeRequest> & { maxUnavailable?: number };
}

const CASES: Case[] = [
  { name: 'demo', what: "the demo's upgrade (6 nodes, soak 1 s)", nodes: 6, request: { soakSeconds: 1 } },
  { name: '50', what: '50 nodes, maxUnavailable 5', nodes: 50, request: { maxUnavailable: 5 } },
];
/** How far an estimate may be from the actual duration, as a share of the actual. */
const TOLERANCE = 0.5;

const usage = `usage: npm run bench:estimate [-- CASE...]   (cases: ${CASES.map((c) => c.name).join(', ')})`;
const chosen = process.argv.slice(2).map((name) => {
  const found = CASES.find((c) => c.name === name);
  if (!found) {
    console.error(`unknown case "${name}"\n${usage}`);
    process.exit(2);
  }
  return found;
});
const temporal = temporalServer('estimate-temporal', 7633);
const print = (label: string, value: string) => console.log(figure(label, value, 18));

interface Outcome {
  c: Case;
  plan: UpgradePlan;
  actual: number;
  phase: string;
  breakdown: string[];
}

/** The parent's run ids, oldest first (more than one after continue-as-new). */
async function runIds(client: Client, workflowId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) ids.unshift(w.runId);
  return ids;
}

/** One case: a cluster of its own and a worker of its own; the plan, then the upgrade timed. */
async function run(c: Case, address: string): Promise<Outcome> {
  const cluster = benchCluster('estimate-cluster', 32843, {
    layout: { cluster: CLUSTER, masters: 3, workers: c.nodes - 3, kubeletVersion: FROM },
  });
  const settings = activitySettings(cluster, SHIPPED_CATALOGUE);
  const deps = workerDeps({ catalogue: settings.catalogue, stateDir: settings.stateDir });
  const taskQueue = `bench-estimate-${c.name}`;
  const request = { cluster: CLUSTER, template: TEMPLATE, ...c.request };
  try {
    log(`${c.name}: cluster of ${c.nodes} nodes`);
    await up(cluster);
    const native = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    try {
      const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, deps });
      const client = new Client({ connection });
      return await worker.runUntil(async () => {
        await forgetEntity(client, CLUSTER); // each case starts from the catalogue's record, on its own queue
        const { plan } = (await client.workflow.execute('upgradePlan', {
          taskQueue,
          workflowId: `bench-estimate-plan-${c.name}-${Date.now()}`,
          args: [request],
        })) as { validated: ValidatedUpgrade; plan: UpgradePlan };
        log(`${c.name}: the plan estimates ${plan.estimateSeconds} s; upgrading`);
        const workflowId = `bench-estimate-${c.name}-${Date.now()}`;
        const start = Date.now();
        const final = (await client.workflow.execute('rollingUpgrade', {
          taskQueue,
          workflowId,
          args: [request],
        })) as UpgradeStatus;
        const actual = Date.now() - start;
        log(`${c.name}: ${final.phase} in ${secs(actual)}`);
        const breakdown = await batchBreakdown(
          client,
          workflowId,
          await runIds(client, workflowId),
          final,
          String(c.request.maxUnavailable ?? 1),
          actual,
        ).catch((err: Error) => [`(no breakdown: ${err.message})`]);
        return { c, plan, actual: actual / 1000, phase: final.phase, breakdown };
      });
    } finally {
      await connection.close();
      await native.close();
    }
  } finally {
    down(cluster);
    deps.close();
    settings.remove();
  }
}

quietRuntime('WARN');
console.log(`bench:estimate — machine: ${cores()}, load average at start ${load()}`);
temporal.start({ fresh: true });
const outcomes: Outcome[] = [];
let failure: string | undefined;
try {
  for (const c of chosen.length > 0 ? chosen : CASES) outcomes.push(await run(c, temporal.address));
} catch (err) {
  failure = `FAILED: ${(err as Error).stack ?? String(err)}`;
} finally {
  temporal.stop();
}
for (const { c, plan, actual, phase, breakdown } of outcomes) {
  const ratio = plan.estimateSeconds / actual;
  const honest = Math.abs(ratio - 1) <= TOLERANCE;
  console.log(`\n${c.what}:`);
  print('estimate', `${plan.estimateSeconds} s`);
  print('actual', `${actual.toFixed(1)} s (${phase})`);
  print('estimate/actual', `${ratio.toFixed(2)} (${honest ? 'within' : 'OUTSIDE'} ±${TOLERANCE * 100} %)`);
  for (const a of plan.estimateAssumes ?? []) console.log(`  assumed: ${a}`);
  for (const line of breakdown) console.log(`  ${line}`);
  if (phase !== 'completed') failure ??= `FAILED: ${c.name} ended ${phase}`;
  else if (!honest) failure ??= `FAILED: ${c.name}: estimate ${plan.estimateSeconds} s, actual ${actual.toFixed(1)} s`;
}
console.log(`\nload average at end ${load()}`);
if (failure) {
  console.error(`\n${failure}`);
  process.exitCode = 1;
}
