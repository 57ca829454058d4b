/**
 * Records the replay fixtures: `npm run fixtures [-- --out DIR]`. Runs every scenario of scenarios.ts
 * on a real Temporal dev server (started here with scripts/temporal-server.sh, or the one at
 * TEMPORAL_ADDRESS) with a worker of the current workflow code over mocked activities (one simulated
 * cluster per scenario), drives it with the real client, checks that it took its path (run.ts, which
 * test/temporal/scenarios.test.ts shares), and writes every history it made (each run of the parent,
 * every child) and the manifest (index.json) to DIR (default test/fixtures/histories); and the
 * clusters' entity (entity.ts), driven directly, with every run of it. The folder's old histories are
 * replaced only when everything was recorded.
 *
 * Environment, as for `npm test`: K8S_RU_TEST_RUN (state folder; default .run/fixtures),
 * TEST_TEMPORAL_PORT (default 7733), TEMPORAL_ADDRESS (use that server instead), TEMPORAL_NAMESPACE.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import pLimit from 'p-limit';
import { holderState } from '../../client/entity.js';
import type { HolderRef } from '../../model/lock.js';
import { quietRuntime, WORKFLOWS_PATH } from '../../worker/worker.js';
import type { MockWorld } from '../support/mock-activities.js';
import { ENTITY, recordEntity } from './entity.js';
import { historyFile, type Manifest, MANIFEST, type ManifestEntry, type RecordedRun } from './histories.js';
import { CONCURRENCY, runScenario, scenarioActivities, scenarioWorlds, slowestFirst } from './run.js';
import { type Scenario, SCENARIOS } from './scenarios.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Server {
  address: string;
  namespace: string;
  stop: () => void;
}

/** The dev server as scripts/test.sh starts it (own port and state folder), or the one at TEMPORAL_ADDRESS. */
function devServer(): Server {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, namespace, stop: () => undefined };
  const dir = join(process.env.K8S_RU_TEST_RUN ?? join(ROOT, '.run', 'fixtures'), 'temporal');
  const port = process.env.TEST_TEMPORAL_PORT ?? '7733';
  const script = join(ROOT, 'scripts', 'temporal-server.sh');
  const env = { ...process.env, TEMPORAL_PORT: port, TEMPORAL_UI_PORT: '0', TEMPORAL_NAMESPACE: namespace };
  rmSync(dir, { recursive: true, force: true });
  execFileSync('bash', [script, 'start', dir], { env, stdio: 'inherit' });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    execFileSync('bash', [script, 'stop', dir], { env, stdio: 'inherit' });
  };
  return { address: `127.0.0.1:${port}`, namespace, stop };
}

interface Recorded {
  entry: ManifestEntry;
  histories: Map<string, string>;
  seconds: number;
}

function recorded(s: { name: string; covers: string }, runs: RecordedRun[], seconds: number): Recorded {
  const histories = new Map<string, string>();
  const files = runs.map((r) => {
    const file = historyFile(s.name, r.workflowId, r.run);
    histories.set(file, historyToJSON(r.history));
    return { file, workflowType: r.workflowType, workflowId: r.workflowId, run: r.run };
  });
  return { entry: { scenario: s.name, covers: s.covers, files }, histories, seconds };
}

async function record(client: Client, taskQueue: string, s: Scenario, world: MockWorld): Promise<Recorded> {
  const { runs, seconds } = await runScenario(client, taskQueue, s, world);
  return recorded(s, runs, seconds);
}

async function recordClusterEntity(client: Client, taskQueue: string): Promise<Recorded> {
  const began = Date.now();
  return recorded(ENTITY, await recordEntity(client, taskQueue), (Date.now() - began) / 1000);
}

/** Replaces the folder's histories and manifest by the new ones (other files stay). */
function writeAll(out: string, recorded: Recorded[]) {
  const staging = mkdtempSync(join(tmpdir(), 'k8s-ru-fixtures-'));
  const manifest: Manifest = {
    about:
      'Replay fixtures written by `npm run fixtures` (test/replay/record.ts): one entry per scenario of test/replay/scenarios.ts, ' +
      'then the entity clusterRecord driven directly (test/replay/entity.ts). ' +
      'File names: <scenario>--<encodeURIComponent(workflow id)>[--run<N>].json',
    scenarios: recorded.map((r) => r.entry),
  };
  for (const r of recorded) for (const [file, json] of r.histories) writeFileSync(join(staging, file), json);
  writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out).filter((f) => f.endsWith('.json'))) rmSync(join(out, f));
  for (const f of readdirSync(staging)) copyFileSync(join(staging, f), join(out, f));
  rmSync(staging, { recursive: true, force: true });
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? join(ROOT, 'test', 'fixtures', 'histories'));
  const began = Date.now();
  quietRuntime('ERROR'); // the failures the scenarios cause on purpose are not news
  const server = devServer();
  const onSignal = () => {
    server.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const worlds = scenarioWorlds(SCENARIOS);
    const activities = scenarioActivities(worlds);
    const taskQueue = `fixtures-${randomUUID().slice(0, 8)}`;
    const client = new Client({
      connection: await Connection.connect({ address: server.address }),
      namespace: server.namespace,
    });
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      // the entity's look at a holder's workflow is real (the stand-in holders run on this server)
      activities: { ...activities, holderState: (ref: HolderRef) => holderState(client, ref) },
    });
    const limit = pLimit(CONCURRENCY);
    const order = slowestFirst(SCENARIOS);
    const done = new Map<string, Recorded>();
    const log = (r: Recorded) =>
      console.log(`recorded ${r.entry.scenario}: ${r.entry.files.length} histories in ${r.seconds.toFixed(1)} s`);
    const results = await worker.runUntil(
      Promise.allSettled([
        ...order.map((s) =>
          limit(async () => {
            const r = await record(client, taskQueue, s, worlds.get(s.name) as MockWorld);
            log(r);
            done.set(s.name, r);
          }),
        ),
        limit(async () => {
          const r = await recordClusterEntity(client, taskQueue);
          log(r);
          done.set(ENTITY.name, r);
        }),
      ]),
    );
    await client.connection.close();
    await connection.close();
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (failed.length > 0)
      throw new Error(`${failed.length} recording(s) failed; nothing written:\n${failed.join('\n')}`);
    writeAll(
      out,
      [...SCENARIOS.map((s) => s.name), ENTITY.name].map((name) => done.get(name) as Recorded),
    );
    const files = [...done.values()].reduce((n, r) => n + r.entry.files.length, 0);
    console.log(
      `${SCENARIOS.length} scenarios and the entity, ${files} histories in ${out} (${((Date.now() - began) / 1000).toFixed(0)} s)`,
    );
  } finally {
    server.stop();
  }
}

await main();
