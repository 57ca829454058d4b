/**
 * Metrics, scraped for real: the worker runs with --metrics-port, Debian's Prometheus server (started
 * here on loopback, scraping it every second) follows a real upgrade whose first drains a budget
 * blocks, and the test reads the series back through Prometheus's HTTP query API.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { METRICS, SDK_METRICS } from '../../model/metrics.js';
import {
  CLUSTER,
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
} from './support.js';
import { freePort, startWorker, type WorkerProcess } from './telemetry-support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let h: Harness;
let worker: WorkerProcess;
let prometheus: ChildProcess;
let api = '';

/** One instant query; its samples as label sets with a value. */
async function query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** The single value of `promql` once `ok` holds for it (Prometheus scrapes every second). */
async function valueOnce(promql: string, ok: (v: number) => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const samples = await query(promql);
      last = samples;
      const v = samples[0]?.value;
      if (samples.length === 1 && v !== undefined && ok(v)) return v;
    } catch (err) {
      last = err; // Prometheus starting
    }
    if (Date.now() > deadline) throw new Error(`${promql}: still ${JSON.stringify(last)}`);
    await sleep(500);
  }
}

before(async () => {
  await freshCluster(); // before the worker starts: it takes the state directory from the environment
  h = await harness(false, 'metrics');
  const metricsPort = await freePort();
  worker = await startWorker(h.taskQueue, ['--metrics-port', `127.0.0.1:${metricsPort}`]);
  const binary = execFileSync('bash', [join(root, 'scripts/prometheus.sh')], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-prometheus-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: k8s-rolling-upgrade-worker',
      `    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]`,
    ].join('\n'),
  );
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', openSync(join(dir, 'prometheus.log'), 'w')] },
  );
  // Ready, and scraping the worker.
  await valueOnce('up{job="k8s-rolling-upgrade-worker"}', (v) => v === 1, 60_000).catch((err: Error) => {
    throw new Error(
      `${err.message}\nPrometheus said:\n${readFileSync(join(dir, 'prometheus.log'), 'utf8').slice(-3000)}`,
    );
  });
});
after(async () => {
  prometheus?.kill('SIGTERM');
  await worker?.stop();
  await closeHarness(h);
});

describe('Prometheus metrics', () => {
  it('counts the nodes, the drains, the refused evictions and the phase of a real upgrade', async () => {
    const count = (await nodes()).length;
    setBudget(2); // every nginx eviction is refused until the budget is put back
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 300 });
    const id = handle.workflowId;
    const sel = `cluster="${CLUSTER}",upgrade_id="${id}"`;
    // Scraped while the upgrade runs: refused evictions, and the phase.
    const refused = `sum(${METRICS.evictionsRefused.name}{cluster="${CLUSTER}",budget="default/nginx-pdb"})`;
    await valueOnce(refused, (v) => v >= 1, 240_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; the upgrade: ${JSON.stringify(await handle.query('status'))}`);
    });
    await valueOnce(`${METRICS.phase.name}{${sel},phase="upgrading"}`, (v) => v === 1);
    assert.ok((await valueOnce(`${METRICS.nodesRemaining.name}{${sel}}`, (v) => v > 0)) <= count);
    setBudget(1);
    const final = await resultWithin(handle, 300_000);
    assert.equal(final.phase, 'completed');

    assert.equal(await valueOnce(`${METRICS.nodesUpgraded.name}{${sel}}`, (v) => v === count), count);
    assert.equal(await valueOnce(`${METRICS.nodesRemaining.name}{${sel}}`, (v) => v === 0), 0);
    await valueOnce(`${METRICS.phase.name}{${sel},phase="completed"}`, (v) => v === 1);
    assert.equal((await query(`${METRICS.phase.name}{${sel}} == 1`)).length, 1, 'one phase at a time');
    const blocked = await query(`${METRICS.nodesBlocked.name}{${sel}}`);
    assert.deepEqual(
      blocked.map((s) => s.value),
      [0, 0],
    );
    const ended = `sum(${METRICS.upgradesEnded.name}{cluster="${CLUSTER}",outcome="completed"})`;
    assert.equal(await valueOnce(ended, (v) => v === 1), 1);
    // One drain and one node-upgrade observation per node, every node upgraded.
    const drains = `sum(${METRICS.drainSeconds.name}_count{cluster="${CLUSTER}"})`;
    assert.equal(await valueOnce(drains, (v) => v === count), count);
    const upgraded = `sum(${METRICS.nodeUpgradeSeconds.name}_count{cluster="${CLUSTER}",outcome="upgraded"})`;
    assert.equal(await valueOnce(upgraded, (v) => v === count), count);
    const roles = await query(`sum by (role) (${METRICS.nodeUpgradeSeconds.name}_count{cluster="${CLUSTER}"})`);
    assert.deepEqual(roles.map((s) => s.metric.role).sort(), ['control-plane', 'worker']);
    // The drain that waited on the budget took longer than the shortest bucket.
    const slow = `sum(${METRICS.drainSeconds.name}_count{cluster="${CLUSTER}"}) - sum(${METRICS.drainSeconds.name}_bucket{cluster="${CLUSTER}",le="1"})`;
    assert.ok((await valueOnce(slow, () => true)) >= 1, 'a drain blocked by the budget lasted more than 1 s');
    assert.ok((await valueOnce(refused, (v) => v >= 1)) >= 1);

    // The SDK's runtime metrics are on the same endpoint (those counting failures only once one happens).
    for (const m of SDK_METRICS.filter((x) => !x.name.includes('failed'))) {
      const name = m.kind === 'histogram' ? `${m.name}_count` : m.name;
      assert.ok((await query(`count(${name})`)).length === 1, `${name} is exported`);
    }
  });
});
