/**
 * The `command` provider on the real local cluster, run by real worker processes: the command
 * (test/fixtures/replace-provider.sh) logs every invocation and replaces the kwok node at the target
 * version. A worker stopped with SIGTERM and then SIGKILL in the middle of a command, and a new worker
 * started: every node is replaced exactly once, no two invocations overlap, the upgrade completes.
 * A command killed when the worker's shutdown grace runs out has its end on the node's record.
 * And a command that fails after printing secrets: none of them, nor the worker's own, is in any
 * history event, and what history says of its output is capped.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KubeConfig, type V1Node, Watch } from '@kubernetes/client-node';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ourAnnotations } from '../../activities/kube/nodes.js';
import { recordedRun } from '../../activities/replace/record.js';
import { TAIL_CHARS } from '../../activities/replace/redact.js';
import {
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  kube,
  kubeconfig,
  nodes,
  resultWithin,
  startUpgrade,
  until,
} from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-command-'));
const bundle = join(dir, 'workflow-bundle.js');
let h: Harness;

/** The fixture catalogue with the test cluster's provider replaced by `replace` (YAML flow map). */
function catalogueWith(name: string, replace: string): string {
  const path = join(dir, `${name}.yaml`);
  const fixture = readFileSync(join(fixtures, 'catalogue.yaml'), 'utf8');
  // the first cluster is the test cluster
  const kwok = 'replace: { provider: kwok, delaySeconds: 1 }';
  assert.ok(fixture.includes(kwok), `the fixture catalogue's test cluster no longer has ${kwok}`);
  writeFileSync(path, fixture.replace(kwok, `replace: ${replace}`));
  return path;
}

interface Worker {
  child: ChildProcess;
  output: () => string;
}

/** A worker in its own process (the workflows bundled once, below), so it can be stopped for real. */
function startWorker(catalogue: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts', '--workflow-bundle', bundle], {
    cwd: root,
    env: {
      ...process.env,
      K8S_RU_TASK_QUEUE: h.taskQueue,
      K8S_RU_CATALOGUE: catalogue,
      K8S_RU_LOG_LEVEL: 'WARN',
      K8S_RU_SHUTDOWN_GRACE: '300',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  return { child, output: () => output };
}

/** The idempotency key of `node` in this upgrade: its workflow id and first run id (unique per upgrade). */
function upgradeKey(handle: WorkflowHandle, node: string): string {
  const run = (handle as Partial<WorkflowHandleWithFirstExecutionRunId>).firstExecutionRunId;
  assert.ok(run, 'the handle has no first run id');
  return `${handle.workflowId}/${run}/${node}/v1.12.7`;
}

const running = (w: Worker) => w.child.exitCode === null && w.child.signalCode === null;

async function stop(w: Worker, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!running(w)) return;
  const exited = new Promise((resolve) => w.child.once('exit', resolve));
  w.child.kill(signal);
  await exited;
}

/** Counts DELETED events per node, independently of the upgrade. */
async function watchDeletions(): Promise<{ deletions: Map<string, number>; stop(): void }> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig());
  const deletions = new Map<string, number>();
  const ac = await new Watch(config).watch(
    '/api/v1/nodes',
    {},
    (type: string, node: V1Node) => {
      const name = node.metadata?.name ?? '';
      if (type === 'DELETED') deletions.set(name, (deletions.get(name) ?? 0) + 1);
    },
    () => undefined,
  );
  return { deletions, stop: () => ac.abort() };
}

interface Invocation {
  node: string;
  key: string;
  attempt: string;
  role: string;
  from: string;
  start: number;
  end?: number;
}

/** The provider's log: one invocation per start line, its end matched by node and key. */
function invocations(log: string): Invocation[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  const all: Invocation[] = [];
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const [what, ...fields] = line.split(' ');
    const f = Object.fromEntries(fields.map((x) => x.split('=') as [string, string]));
    const at = Number(f.at);
    if (what === 'start') {
      all.push({ node: f.node!, key: f.key!, attempt: f.attempt!, role: f.role!, from: f.from!, start: at });
    } else {
      const open = all.find((i) => i.node === f.node && i.key === f.key && i.end === undefined);
      assert.ok(open, `an end without a start: ${line}`);
      open.end = at;
    }
  }
  return all;
}

/** Every event of the upgrade and of its children, payloads decoded, as one text; and the activities' failure messages. */
async function histories(handle: WorkflowHandle): Promise<{ text: string; activityFailures: string[] }> {
  const decode = (_: string, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    const b = v as { type?: string; data?: number[] } | null;
    return b && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data).toString('utf8') : v;
  };
  const parent = await handle.fetchHistory();
  const ids = (parent.events ?? []).flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
  const all = [parent];
  for (const id of ids) all.push(await h.client.workflow.getHandle(id).fetchHistory());
  const activityFailures = all.flatMap((history) =>
    (history.events ?? []).flatMap((e) => e.activityTaskFailedEventAttributes?.failure?.message ?? []),
  );
  return { text: all.map((history) => JSON.stringify(history, decode)).join('\n'), activityFailures };
}

before(async () => {
  // The workflows bundled once for every worker process of this file (not in the shared dist/).
  execFileSync(process.execPath, ['--import', 'tsx', 'worker/bundle.ts', bundle], { cwd: root, stdio: 'ignore' });
  h = await harness(false);
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

describe('the command provider', () => {
  it('replaces each node exactly once when its worker is stopped (SIGTERM, then SIGKILL) mid-command', async () => {
    const log = join(dir, 'invocations.log');
    const catalogue = catalogueWith(
      'at-most-once',
      `{ provider: command, command: "sh '${fixtures}/replace-provider.sh'", timeoutSeconds: 180, ` +
        `env: { PROVIDER_LOG: '${log}', PROVIDER_SECONDS: 2, PROVIDER_FIRST_SECONDS: 20 } }`,
    );
    const watch = await watchDeletions();
    const first = startWorker(catalogue);
    let second: Worker | undefined;
    try {
      const handle = await startUpgrade(h);
      const s = await until(
        handle,
        'a replacement under way',
        (x) => x.nodes.some((n) => n.step === 'replace'),
        120_000,
      );
      const node = s.nodes.find((n) => n.step === 'replace')?.name ?? '';
      for (let i = 0; !invocations(log).some((x) => x.node === node); i++) {
        assert.ok(i < 300, `the command for ${node} never started; worker said:\n${first.output()}`);
        await sleep(100);
      }
      // SIGTERM: the worker stops polling but lets the running replacement go on (its shutdown grace)...
      first.child.kill('SIGTERM');
      await sleep(2000);
      assert.ok(running(first), `the worker exited on SIGTERM while a replacement ran:\n${first.output()}`);
      // ...and then it dies for good, the command still running.
      await stop(first, 'SIGKILL');
      assert.equal(invocations(log).find((x) => x.node === node)?.end, undefined, 'the command had ended already');
      second = startWorker(catalogue);
      const final = await resultWithin(handle, 420_000);
      assert.equal(final.phase, 'completed', JSON.stringify(final.nodes));

      const runs = invocations(log);
      const live = await nodes();
      for (const n of live) {
        const mine = runs.filter((r) => r.node === n.name);
        assert.equal(mine.length, 1, `${n.name} replaced ${mine.length} times: ${JSON.stringify(mine)}`);
        assert.ok(mine[0]?.end, `${n.name}'s command never ended`);
        assert.equal(mine[0]?.key, upgradeKey(handle, n.name));
        assert.equal(mine[0]?.from, 'v1.11.9');
        assert.equal(mine[0]?.role, n.role);
        assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
        assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
        assert.equal(watch.deletions.get(n.name), 1, `${n.name} deleted ${watch.deletions.get(n.name) ?? 0} times`);
      }
      // Every node put back: the run's record and the replacement's key went with the upgrade's other annotations.
      for (const n of (await kube().core.listNode()).items) {
        assert.deepEqual(ourAnnotations(n), [], `${n.metadata?.name} keeps ${ourAnnotations(n).join(', ')}`);
      }
      const ordered = [...runs].sort((a, b) => a.start - b.start);
      for (let i = 1; i < ordered.length; i++) {
        const [a, b] = [ordered[i - 1]!, ordered[i]!];
        if (a.node === b.node) assert.ok((a.end ?? Infinity) <= b.start, `${a.node}: two invocations overlap`);
      }
      // The new worker's retry found the command still running and waited for it, rather than run it again.
      assert.match(
        second.output(),
        new RegExp(`replace ${node} \\[[^\\]]+\\]: waiting for the run started by attempt 1`),
      );
    } finally {
      watch.stop();
      await stop(first);
      if (second) await stop(second);
    }
  });

  it("records on the node the end of a command killed when the worker's shutdown grace runs out", async () => {
    const log = join(dir, 'killed.log');
    const catalogue = catalogueWith(
      'killed',
      `{ provider: command, command: "sh '${fixtures}/replace-provider.sh'", timeoutSeconds: 180, ` +
        `env: { PROVIDER_LOG: '${log}', PROVIDER_SECONDS: 1, PROVIDER_FIRST_SECONDS: 120 } }`,
    );
    const worker = startWorker(catalogue, { K8S_RU_SHUTDOWN_GRACE: '2' });
    let handle: WorkflowHandle | undefined;
    try {
      handle = await startUpgrade(h);
      const s = await until(
        handle,
        'a replacement under way',
        (x) => x.nodes.some((n) => n.step === 'replace'),
        120_000,
      );
      const node = s.nodes.find((n) => n.step === 'replace')?.name ?? '';
      for (let i = 0; !invocations(log).some((x) => x.node === node); i++) {
        assert.ok(i < 300, `the command for ${node} never started; worker said:\n${worker.output()}`);
        await sleep(100);
      }
      const exited = new Promise((resolve) => worker.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      await exited; // the grace over, the command's group ended, and then the worker
      assert.equal(invocations(log).find((x) => x.node === node)?.end, undefined, 'the command was not killed');
      const run = recordedRun(await kube().core.readNode({ name: node }));
      assert.equal(run?.key, upgradeKey(handle, node));
      // a successor on any machine, or recover, sees that it ended: not in doubt, not running
      assert.equal(run?.exit, 'killed: the activity was cancelled (or the worker shut down)', JSON.stringify(run));
      assert.ok(run?.endedAt, JSON.stringify(run));
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe worker said:\n${worker.output()}`, { cause: err });
    } finally {
      await handle?.terminate('test over').catch(() => undefined);
      await stop(worker);
    }
  });

  it("runs the command once more, and only once, for an operator's retryReplace after it failed", async () => {
    const log = join(dir, 'retry.log');
    const catalogue = catalogueWith(
      'retry',
      `{ provider: command, command: "sh '${fixtures}/replace-provider.sh'", timeoutSeconds: 120, ` +
        `env: { PROVIDER_LOG: '${log}', PROVIDER_SECONDS: 1, PROVIDER_FAIL_FIRST: 'yes' } }`,
    );
    const worker = startWorker(catalogue);
    try {
      const handle = await startUpgrade(h);
      const parked = await until(
        handle,
        'a failed replacement parked',
        (x) => x.nodes.some((n) => n.step === 'replace-failed'),
        180_000,
      );
      const node = parked.nodes.find((n) => n.step === 'replace-failed');
      assert.match(node?.detail ?? '', /exited with 3; last output: cannot reach the machine/);
      assert.equal(node?.cordoned, true);
      await handle.executeUpdate('retryReplace', { args: [{ node: node?.name }] });
      const final = await resultWithin(handle, 300_000);
      assert.equal(final.phase, 'completed', JSON.stringify(final.nodes));
      const runs = invocations(log);
      const again = runs.filter((r) => r.node === node?.name);
      assert.equal(again.length, 2, JSON.stringify(again));
      assert.ok((again[0]?.end ?? Infinity) <= (again[1]?.start ?? 0), 'the retry overlapped the failed run');
      // a new activity: attempt 1 again, the same key
      assert.deepEqual(
        again.map((r) => [r.attempt, r.key]),
        [
          ['1', upgradeKey(handle, node?.name ?? '')],
          ['1', upgradeKey(handle, node?.name ?? '')],
        ],
      );
      for (const n of await nodes()) {
        if (n.name !== node?.name) assert.equal(runs.filter((r) => r.node === n.name).length, 1, n.name);
        assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
        assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe worker said:\n${worker.output()}`, { cause: err });
    } finally {
      await stop(worker);
    }
  });

  it('keeps secrets out of history and caps what it says of the output', async () => {
    const workerSecret = 'worker-env-secret-7f3a9c';
    const temporalKey = 'temporal-api-key-5b8e21';
    const catalogueSecret = 'catalogue-env-token-c41d';
    const catalogue = catalogueWith(
      'secrets',
      `{ provider: command, command: "sh '${fixtures}/replace-provider-fails.sh'", timeoutSeconds: 60, ` +
        `env: { PROVIDER_API_TOKEN: '${catalogueSecret}' }, passEnv: [PATH, HOME, K8S_RU_SECRET] }`,
    );
    // The dev server takes no API key; with TLS off explicitly the worker connects with one all the same.
    const worker = startWorker(catalogue, {
      K8S_RU_SECRET: workerSecret,
      TEMPORAL_API_KEY: temporalKey,
      TEMPORAL_TLS: 'false',
    });
    let handle: WorkflowHandle | undefined;
    try {
      handle = await startUpgrade(h);
      const s = await until(
        handle,
        'a failed replacement',
        (x) => x.nodes.some((n) => n.step === 'replace-failed' || n.step === 'failed') || x.phase === 'failed',
        180_000,
      );
      const failed = s.nodes.find((n) => n.step === 'replace-failed' || n.step === 'failed');
      assert.match(failed?.detail ?? '', /exited with 3/);

      const { text, activityFailures } = await histories(handle);
      for (const secret of [
        workerSecret,
        temporalKey,
        catalogueSecret,
        'Printed-Pa55word-0001',
        'printed-bearer-token-0002',
      ]) {
        assert.ok(!text.includes(secret), `${secret} is in the history`);
      }
      const said = activityFailures.flatMap((m) => /exited with 3; last output: (.*)$/s.exec(m)?.[1] ?? []);
      assert.ok(said.length > 0, `no failure of the command in the history: ${JSON.stringify(activityFailures)}`);
      for (const output of said) {
        assert.ok(output.length <= TAIL_CHARS, `${output.length} characters of output in history`);
        assert.ok(output.split(' | ').length <= 5, output);
        assert.match(output, /the last line: cannot rebuild/);
        assert.doesNotMatch(output, /line 01/);
      }
      // The worker's log has every line, redacted the same way.
      const out = worker.output();
      assert.match(out, new RegExp(`replace ${failed?.name} \\[[^\\]]+\\]: line 01: starting the rebuild`));
      assert.match(out, /the worker's Temporal key is \[\] \(empty: never passed\)/);
      for (const secret of [workerSecret, temporalKey, catalogueSecret, 'Printed-Pa55word-0001']) {
        assert.ok(!out.includes(secret), `${secret} is in the worker's log`);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe worker said:\n${worker.output()}`, { cause: err });
    } finally {
      await handle?.terminate('test over').catch(() => undefined);
      await stop(worker);
    }
  });
});
