/**
 * Traces and JSON logs of a real upgrade: the worker runs in its own process with `--log-format json`
 * and OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver in this test (a small HTTP server
 * that decodes the JSON the exporter sends). One trace holds the upgrade's workflow span, its nodes'
 * child workflow spans and their activity spans; every line the worker wrote is one JSON object
 * naming the cluster, the upgrade, the node and the step.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { SERVICE_NAME } from '../../worker/tracing.js';
import {
  CLUSTER,
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  startUpgrade,
} from './support.js';
import { freePort, startWorker, type WorkerProcess } from './telemetry-support.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service?: string;
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<Span, 'service'>[] }[];
  }[];
}

/** An OTLP/HTTP trace receiver: every span posted to /v1/traces (JSON, gzipped or not). */
async function otlpReceiver(): Promise<{ server: Server; port: number; spans: Span[]; posts: string[] }> {
  const spans: Span[] = [];
  const posts: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
        res.writeHead(415).end();
        return;
      }
      const data = JSON.parse(body.toString('utf8')) as OtlpExport;
      for (const r of data.resourceSpans ?? []) {
        const service = r.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const s of r.scopeSpans ?? []) for (const span of s.spans ?? []) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, spans, posts };
}

let h: Harness;
let worker: WorkerProcess;
let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
let upgradeId = '';
let nodeNames: string[] = [];

before(async () => {
  await freshCluster(); // before the worker starts: it takes the state directory from the environment
  receiver = await otlpReceiver();
  h = await harness(false, 'telemetry');
  worker = await startWorker(h.taskQueue, ['--log-format', 'json'], {
    K8S_RU_LOG_LEVEL: 'DEBUG', // the SDK's lines for every activity too
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
  });
  nodeNames = (await nodes()).map((n) => n.name);
  const handle = await startUpgrade(h);
  upgradeId = handle.workflowId;
  assert.equal((await resultWithin(handle)).phase, 'completed');
  // The upgrade's own span ends with it; the worker sends what it holds when it stops.
  const deadline = Date.now() + 30_000;
  while (!receiver.spans.some((s) => s.name === 'RunWorkflow:rollingUpgrade') && Date.now() < deadline) {
    await sleep(500);
  }
  await worker.stop();
});
after(async () => {
  await worker?.stop();
  receiver?.server.close();
  await closeHarness(h);
});

describe('traces', () => {
  it('puts the upgrade, its nodes and their activities in one trace, exported over OTLP', () => {
    const { spans } = receiver;
    const root = spans.filter((s) => s.name === 'RunWorkflow:rollingUpgrade');
    assert.equal(
      root.length,
      1,
      `spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}; posts: ${receiver.posts}`,
    );
    const trace = root[0]?.traceId ?? '';
    assert.ok(!root[0]?.parentSpanId, 'the upgrade is the root of its trace');
    const inTrace = spans.filter((s) => s.traceId === trace);
    const named = (name: string) => inTrace.filter((s) => s.name === name);
    const count = (list: Span[]) => {
      const n: Record<string, number> = {};
      for (const s of list) n[s.name] = (n[s.name] ?? 0) + 1;
      return JSON.stringify(n);
    };
    writeFileSync(join(process.env.K8S_RU_TEST_RUN ?? tmpdir(), 'spans.json'), JSON.stringify(spans));
    const seen = `in the trace: ${count(inTrace)}; elsewhere: ${count(spans.filter((s) => s.traceId !== trace))}`;
    assert.equal(named('RunWorkflow:nodeUpgrade').length, nodeNames.length, 'a child span per node');
    assert.equal(named('StartChildWorkflow:nodeUpgrade').length, nodeNames.length);
    assert.equal(named('RunActivity:drainNode').length, nodeNames.length, `a drain per node: ${seen}`);
    for (const name of ['RunActivity:validateUpgrade', 'RunActivity:healthGate', 'RunActivity:cordonNode']) {
      assert.ok(named(name).length >= 1, `${name} in the trace`);
    }
    // Each child's run hangs under its start in the parent; each activity under the span that scheduled it.
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    for (const child of named('RunWorkflow:nodeUpgrade')) {
      assert.equal(byId.get(child.parentSpanId ?? '')?.name, 'StartChildWorkflow:nodeUpgrade');
    }
    for (const run of inTrace.filter((s) => s.name.startsWith('RunActivity:'))) {
      assert.equal(byId.get(run.parentSpanId ?? '')?.name, `StartActivity:${run.name.split(':')[1]}`);
    }
    // No span of the upgrade in another trace, and all from this worker's service.
    const elsewhere = spans.filter((s) => s.traceId !== trace && /nodeUpgrade|rollingUpgrade|Node$/.test(s.name));
    assert.deepEqual(
      elsewhere.map((s) => s.name),
      [],
    );
    assert.ok(inTrace.every((s) => s.service === SERVICE_NAME));
  });
});

describe('--log-format json', () => {
  it('writes one JSON object per line, each naming the cluster, the upgrade, the node and the step', () => {
    const lines = worker.lines.filter((l) => l !== '');
    assert.ok(lines.length > 50, `${lines.length} lines`);
    type Line = Record<string, unknown>;
    const parsed: Line[] = lines.map((l) => {
      let value: unknown;
      assert.doesNotThrow(() => (value = JSON.parse(l)), `not JSON: ${l}`);
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `not an object: ${l}`);
      return value as Line;
    });
    for (const p of parsed) {
      for (const key of ['time', 'level', 'message', 'cluster', 'upgradeId', 'node', 'step']) {
        assert.ok(key in p, `${key} missing: ${JSON.stringify(p)}`);
      }
      assert.ok(!Number.isNaN(Date.parse(String(p.time))), `time: ${JSON.stringify(p)}`);
    }
    const ours = parsed.filter((p) => p.upgradeId === upgradeId);
    assert.ok(ours.length > 20, `${ours.length} lines of the upgrade`);
    // Every line of the upgrade names its cluster, but perhaps the SDK's first: the workflow may log
    // that it started before its input (which names the cluster) is read.
    const unnamed = ours.filter((p) => p.cluster !== CLUSTER);
    assert.ok(unnamed.length <= 1, JSON.stringify(unnamed));
    for (const p of unnamed) assert.equal(`${String(p.level)} ${String(p.message)}`, 'DEBUG Workflow started');
    // Every node's drain is told: by the upgrade's progress and by its drain activity.
    for (const node of nodeNames) {
      const drains = ours.filter((p) => p.node === node && p.step === 'drain');
      assert.ok(drains.length >= 2, `node ${node}'s drain: ${JSON.stringify(ours.filter((p) => p.node === node))}`);
      assert.ok(drains.some((p) => p.activityType === 'drainNode'));
      assert.ok(ours.some((p) => p.node === node && p.step === 'done'));
    }
    assert.ok(
      ours.some((p) => p.node === null && p.step === 'completed'),
      'the upgrade completed',
    );
    assert.ok(parsed.some((p) => p.upgradeId === null && String(p.message).startsWith('worker: polling task queue')));
  });
});
