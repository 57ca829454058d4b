/**
 * Benchmark: the upgrade's overhead over the physical limit. A local cluster of N nodes (default 100:
 * 3 control plane + N-3 workers) with fixed, known delays — node replacement 1 s (kwok provider),
 * pod termination 6 s (the nginx grace period), nodes Ready at once, no soak — upgraded one node at
 * a time. The physical limit is the sum of the mandatory waits on the critical path: one replacement
 * per node plus one grace period per drain that evicted a pod. Prints total, limit and their ratio.
 *
 *   npm run bench:overhead [-- NODES]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { UpgradeStatus } from '../model/status.js';
import { clusterOptions, down, kubeconfigPath, up } from '../localcluster/cluster.js';
import { createWorker, quietRuntime } from '../worker/worker.js';
import { timeline } from './timeline.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const nodesWanted = Number(process.argv[2] ?? 100);
const REPLACE_S = 1; // test/fixtures/catalogue.yaml: replace.delaySeconds
const GRACE_S = 6; // localcluster/manifests/nginx.yaml: terminationGracePeriodSeconds
const port = '7433';
const temporalDir = join(root, '.run/bench/temporal');
const cluster = clusterOptions({
  dir: join(root, '.run/bench/cluster'),
  apiserverPort: 31443,
  layout: { cluster: 'k8s-upgrade-test', masters: 3, workers: nodesWanted - 3, kubeletVersion: 'v1.11.9' },
});
process.env.K8S_RU_CATALOGUE = join(root, 'test/fixtures/catalogue.yaml');
process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-bench-'));
process.env.K8S_RU_KUBECONFIG = kubeconfigPath(cluster);
const server = (action: string) =>
  execFileSync('bash', [join(root, 'scripts/temporal-server.sh'), action, temporalDir], {
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_PORT: port, TEMPORAL_UI_PORT: '0' },
  });

/** Drains that evicted at least one pod, read from the children's histories. */
async function evictingDrains(client: Client, status: UpgradeStatus): Promise<number> {
  let count = 0;
  for (const n of status.nodes) {
    const events = (await client.workflow.getHandle(`${status.workflowId}/${n.name}`).fetchHistory()).events ?? [];
    for (const e of events) {
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      if (!payload || payload.length === 0) continue; // void activities
      const result = JSON.parse(Buffer.from(payload).toString()) as { evicted?: number; skipped?: unknown } | null;
      if (result?.skipped !== undefined && (result.evicted ?? 0) > 0) count++;
    }
  }
  return count;
}

quietRuntime('WARN');
server('start');
try {
  const t0 = Date.now();
  await up(cluster);
  console.log(`cluster of ${nodesWanted} nodes up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const worker = await createWorker(native, 'default', 'bench');
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const start = Date.now();
  const status = (await worker.runUntil(
    client.workflow.execute('rollingUpgrade', {
      taskQueue: 'bench',
      workflowId: `bench-overhead-${Date.now()}`,
      args: [{ cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403' }],
    }),
  )) as UpgradeStatus;
  const total = (Date.now() - start) / 1000;
  const drains = await evictingDrains(client, status);
  const limit = status.nodes.length * REPLACE_S + drains * GRACE_S;
  console.log(`nodes upgraded:            ${status.done} of ${status.nodes.length} (${status.phase})`);
  console.log(`total upgrade time:        ${total.toFixed(1)} s`);
  console.log(
    `physical limit:            ${limit} s (${status.nodes.length} × ${REPLACE_S} s replace + ${drains} evicting drains × ${GRACE_S} s grace)`,
  );
  console.log(`ratio total/limit:         ${(total / limit).toFixed(3)} (target ≤ 1.03)`);
  console.log(`overhead per node:         ${((total - limit) / status.nodes.length).toFixed(2)} s`);
  console.log('where the time goes, from the histories:');
  const upgraded = status.nodes.filter((n) => n.step === 'done').map((n) => n.name);
  for (const line of await timeline(client, status.workflowId, upgraded)) console.log(`  ${line}`);
  await connection.close();
  await native.close();
} finally {
  down(cluster);
  server('stop');
}
