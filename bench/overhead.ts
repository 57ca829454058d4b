/**
 * Benchmark: the upgrade's overhead over the physical limit. A local cluster of N nodes (default 100:
 * 3 control plane + N-3 workers) with fixed, known delays — node replacement 1 s (kwok provider),
 * pod termination 6 s (the nginx grace period), nodes Ready at once, no soak — upgraded one node at
 * a time. The physical limit is the sum of the mandatory waits on the critical path: one replacement
 * per node plus one grace period per drain that evicted a pod. Prints total, limit and their ratio,
 * and the plan's estimate beside the total (bench/estimate.ts checks it for the demo and 50 nodes).
 *
 *   npm run bench:overhead [-- NODES]
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { workerDeps } from '../activities/deps.js';
import type { UpgradeStatus } from '../model/status.js';
import type { UpgradePlan } from '../model/upgrade.js';
import { down, up } from '../localcluster/cluster.js';
import { forgetEntity } from '../client/entity.js';
import { createWorker, quietRuntime } from '../worker/worker.js';
import { activityResult, activitySpans, childHistories } from './lib/history.js';
import { figure } from './lib/report.js';
import { CLUSTER, FROM, TEMPLATE, activitySettings, benchCluster, countArg, temporalServer } from './lib/setup.js';
import { timeline } from './lib/timeline.js';

const nodesWanted = countArg(
  0,
  100,
  4,
  'usage: npm run bench:overhead [-- NODES]   (NODES ≥ 4: 3 control plane + workers)',
);
const REPLACE_S = 1; // test/fixtures/catalogue.yaml: replace.delaySeconds
const GRACE_S = 6; // localcluster/manifests/nginx.yaml: terminationGracePeriodSeconds
const temporal = temporalServer('temporal', 7433);
const cluster = benchCluster('cluster', 31443, {
  layout: { cluster: CLUSTER, masters: 3, workers: nodesWanted - 3, kubeletVersion: FROM },
});
const settings = activitySettings(cluster);
const print = (label: string, value: string) => console.log(figure(label, value, 26));

/** Drains that evicted at least one pod, read from the children's histories. */
async function evictingDrains(client: Client, status: UpgradeStatus): Promise<number> {
  const histories = await childHistories(
    client,
    status.workflowId,
    status.nodes.map((n) => n.name),
  );
  return histories
    .flatMap(activitySpans)
    .map((a) => activityResult(a) as { evicted?: number; skipped?: unknown } | null | undefined)
    .filter((result) => result?.skipped !== undefined && (result.evicted ?? 0) > 0).length;
}

quietRuntime('WARN');
temporal.start();
const deps = workerDeps({ catalogue: settings.catalogue, stateDir: settings.stateDir });
try {
  const t0 = Date.now();
  await up(cluster);
  console.log(`cluster of ${nodesWanted} nodes up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue: 'bench', deps });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const request = { cluster: CLUSTER, template: TEMPLATE };
  // The plan first (as `kru plan` asks it), then the upgrade timed; one run of the worker for both.
  let start = 0;
  const { plan, status } = await worker.runUntil(async () => {
    await forgetEntity(client, CLUSTER); // the cluster's record as the catalogue declares it (a kept server has the last run's)
    const { plan } = (await client.workflow.execute('upgradePlan', {
      taskQueue: 'bench',
      workflowId: `bench-overhead-plan-${Date.now()}`,
      args: [request],
    })) as { plan: UpgradePlan };
    start = Date.now();
    const status = (await client.workflow.execute('rollingUpgrade', {
      taskQueue: 'bench',
      workflowId: `bench-overhead-${Date.now()}`,
      args: [request],
    })) as UpgradeStatus;
    return { plan, status };
  });
  const total = (Date.now() - start) / 1000;
  const drains = await evictingDrains(client, status);
  const limit = status.nodes.length * REPLACE_S + drains * GRACE_S;
  print('nodes upgraded', `${status.done} of ${status.nodes.length} (${status.phase})`);
  print('total upgrade time', `${total.toFixed(1)} s`);
  print('plan estimate', `${plan.estimateSeconds} s (estimate/total ${(plan.estimateSeconds / total).toFixed(2)})`);
  print(
    'physical limit',
    `${limit} s (${status.nodes.length} × ${REPLACE_S} s replace + ${drains} evicting drains × ${GRACE_S} s grace)`,
  );
  print('ratio total/limit', `${(total / limit).toFixed(3)} (target ≤ 1.03)`);
  print('overhead per node', `${((total - limit) / status.nodes.length).toFixed(2)} s`);
  console.log('where the time goes, from the histories:');
  const upgraded = status.nodes.filter((n) => n.step === 'done').map((n) => n.name);
  for (const line of await timeline(client, status.workflowId, upgraded)) console.log(`  ${line}`);
  await connection.close();
  await native.close();
} finally {
  down(cluster);
  temporal.stop();
  deps.close();
  settings.remove();
}
