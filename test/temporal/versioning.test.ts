/**
 * Worker Versioning on the real dev server, two builds at once. The real `rollingUpgrade` on workers of
 * two builds (A and B) of one Worker Deployment, each build with a mocked world of its own (so a
 * cordon shows which build ran it): an upgrade started on A that waits for its window keeps running on
 * A after B is made current (with the `temporal` CLI, as the README says), every run of it (it continues
 * as new between nodes) and its node children too; a new
 * upgrade goes to B; A drains once its upgrade ended, and stopping A then leaves B's work whole. Also
 * the worker process: the first build of a deployment makes itself current, with a build id derived
 * from its bundle; a later build waits to be made current and says how.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { decodeVersioningBehavior } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpgradeStatus } from '../../model/status.js';
import { bundleBuildId, settleRouting } from '../../worker/deployment.js';
import { tracing } from '../../worker/tracing.js';
import { bundleWorkflows, deploymentOptions } from '../../worker/worker.js';
import { mockWorld } from '../support/mock-activities.js';
import { devServer, resultWithin, temporalAddress, uniqueQueue, until } from '../support/temporal.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const temporalBin = execFileSync('bash', [join(root, 'scripts/temporal-server.sh'), 'cli'], {
  encoding: 'utf8',
}).trim();
const cli = async (...args: string[]) =>
  (
    await promisify(execFile)(temporalBin, [...args, '--address', temporalAddress(), '-o', 'json'], {
      encoding: 'utf8',
    })
  ).stdout;

let env: TestWorkflowEnvironment;
let code: string;
before(async () => {
  env = await devServer();
  code = await bundleWorkflows();
});
after(async () => await env.teardown());

/** A worker of one build: the real workflows, its own mocked world, its identity naming the build. */
async function build(deploymentName: string, buildId: string, taskQueue: string) {
  const world = mockWorld(['cp-0'], ['w-0']);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code },
    activities: world.activities,
    identity: `build-${buildId}`,
    sinks: tracing().sinks, // the production bundle's tracing interceptors export to it
    workerDeploymentOptions: deploymentOptions({ deploymentName, buildId }),
  });
  const running = worker.run();
  return { world, worker, stop: async () => (worker.shutdown(), await running) };
}

const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

/** A daily window opening at the next whole minute at least 60 s away (B is started and made current meanwhile). */
function nextWindow(): { spec: string; opens: number } {
  const opens = new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000);
  return { spec: `daily ${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 5 * 60_000))} UTC`, opens: opens.getTime() };
}

type Versioning = temporal.api.workflow.v1.IWorkflowExecutionVersioningInfo | null | undefined;
async function versioning(handle: WorkflowHandle): Promise<Versioning> {
  return (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
}
/** The build a workflow is pinned to. */
const pinnedTo = (v: Versioning) =>
  decodeVersioningBehavior(v?.behavior) === 'PINNED'
    ? v?.deploymentVersion?.buildId
    : `not pinned: ${JSON.stringify(v)}`;

/** Who completed each workflow task and started each activity, in history order. */
async function identities(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  return {
    workflowTasks: events.flatMap((e) => e.workflowTaskCompletedEventAttributes?.identity ?? []),
    activities: events.flatMap((e) => e.activityTaskStartedEventAttributes?.identity ?? []),
  };
}

/** `fn` retried for up to 30 s while it throws. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(1000);
    }
  }
}

async function drainage(deploymentName: string, buildId: string): Promise<string> {
  const out = JSON.parse(
    await cli('worker', 'deployment', 'describe-version', '--deployment-name', deploymentName, '--build-id', buildId),
  ) as { drainageInfo?: { drainageStatus?: string } };
  return out.drainageInfo?.drainageStatus ?? '';
}

describe('worker versioning: two builds at once', () => {
  it('keeps an upgrade on the build that started it and sends new upgrades to the current build', async () => {
    const deploymentName = uniqueQueue('versioning');
    const taskQueue = uniqueQueue('versioned');
    const a = await build(deploymentName, 'A', taskQueue);
    let b: Awaited<ReturnType<typeof build>> | undefined;
    try {
      // A is the deployment's first build: the worker's start-up makes it current
      assert.deepEqual(await settleRouting(env.nativeConnection, 'default', { deploymentName, buildId: 'A' }, 'test'), {
        state: 'made-current',
      });
      const w = nextWindow();
      const waiting = await env.client.workflow.start('rollingUpgrade', {
        taskQueue,
        workflowId: uniqueQueue('pinned-upgrade'),
        // a short history: it continues as new between nodes, after B is current too
        args: [{ cluster: 'c', template: 't', windows: [w.spec], maxHistoryEvents: 20 }],
      });
      await until(waiting, 'waiting for its window', (s) => s.phase === 'waiting-for-window', 30_000);
      assert.equal(pinnedTo(await versioning(waiting)), 'A');

      // B rolls out: polling, not current, so it gets nothing; then the operator makes it current
      b = await build(deploymentName, 'B', taskQueue);
      assert.deepEqual(await settleRouting(env.nativeConnection, 'default', { deploymentName, buildId: 'B' }, 'test'), {
        state: 'not-current',
        current: 'A',
      });
      // the server refuses until B polls every task queue A does (its activity queue registers a little
      // after its workflow queue): the command is run again, as an operator would
      await eventually(() =>
        cli(
          'worker',
          'deployment',
          'set-current-version',
          '--deployment-name',
          deploymentName,
          '--build-id',
          'B',
          '--yes',
        ),
      );
      assert.ok(Date.now() < w.opens, 'B was current before the window opened (the machine was too slow)');

      const fresh = await env.client.workflow.start('rollingUpgrade', {
        taskQueue,
        workflowId: uniqueQueue('new-upgrade'),
        args: [{ cluster: 'c2', template: 't' }],
      });
      const freshEnd = (await resultWithin(fresh, 60_000)) as UpgradeStatus;
      assert.equal(freshEnd.phase, 'completed');
      assert.equal(pinnedTo(await versioning(fresh)), 'B');
      assert.deepEqual(
        b.world.cordoned.map((c) => c.node),
        ['cp-0', 'w-0'],
      );
      assert.equal(a.world.cordoned.length, 0, 'A touched no node before its window opened');

      // the window opens: A upgrades its cluster, B is current all along
      const pinnedEnd = (await resultWithin(waiting, 150_000)) as UpgradeStatus;
      assert.equal(pinnedEnd.phase, 'completed');
      assert.ok(a.world.cordoned.every((c) => c.at >= w.opens));
      assert.deepEqual(
        a.world.cordoned.map((c) => c.node),
        ['cp-0', 'w-0'],
      );
      assert.equal(b.world.cordoned.length, 2, 'B ran no node of the pinned upgrade');
      // every run of it (continued as new, the last ones after B was current) pinned to A and run there
      const runs = env.client.workflow.list({ query: `WorkflowId = '${waiting.workflowId}'` });
      const pinnedRuns: string[] = [];
      const ranBy = new Set<string>();
      for await (const run of runs) {
        const handle = env.client.workflow.getHandle(run.workflowId, run.runId);
        pinnedRuns.push(String(pinnedTo(await versioning(handle))));
        const ran = await identities(handle);
        [...ran.workflowTasks, ...ran.activities].forEach((who) => ranBy.add(who));
      }
      assert.ok(pinnedRuns.length >= 3, `continued as new at least twice: ${pinnedRuns.length} runs`);
      assert.deepEqual(new Set(pinnedRuns), new Set(['A']));
      assert.deepEqual(ranBy, new Set(['build-A']));
      // its node children were pinned to A too, and ran there
      const children = env.client.workflow.list({
        query: `WorkflowType = 'nodeUpgrade' AND TaskQueue = '${taskQueue}'`,
      });
      const byBuild: Record<string, string[]> = {};
      for await (const child of children) {
        const handle = env.client.workflow.getHandle(child.workflowId, child.runId);
        const builds = new Set(Object.values(await identities(handle)).flat());
        (byBuild[pinnedTo(await versioning(handle)) ?? '?'] ??= []).push([...builds].join(','));
      }
      assert.deepEqual(byBuild, { A: ['build-A', 'build-A'], B: ['build-B', 'build-B'] });

      // A has nothing pinned left: it drains, and its workers can stop
      const deadline = Date.now() + 60_000;
      let status = await drainage(deploymentName, 'A');
      while (status !== 'drained' && Date.now() < deadline) {
        await sleep(1000);
        status = await drainage(deploymentName, 'A');
      }
      assert.equal(status, 'drained');
      assert.doesNotMatch(await drainage(deploymentName, 'B'), /drain/, 'the current build is not draining');
      await a.stop();
      b.world.reset();
      const after = await env.client.workflow.start('rollingUpgrade', {
        taskQueue,
        workflowId: uniqueQueue('after-retire'),
        args: [{ cluster: 'c3', template: 't' }],
      });
      assert.equal(((await resultWithin(after, 60_000)) as UpgradeStatus).phase, 'completed');
      assert.equal(pinnedTo(await versioning(after)), 'B');
    } finally {
      await a.stop().catch(() => undefined);
      await b?.stop();
    }
  });
});

describe('the worker process as a version', () => {
  const deploymentName = uniqueQueue('process');
  const taskQueue = uniqueQueue('process-queue');
  const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-versioning-'));
  const bundle = join(dir, 'workflow-bundle.js');
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  /** `worker/main.ts` with the given flags; resolves with its output once it says it polls. */
  async function workerProcess(...flags: string[]): Promise<string> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'worker/main.ts', '--task-queue', taskQueue, '--deployment-name', deploymentName, ...flags],
      { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 120_000;
    while (!out.includes('worker: polling')) {
      if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`worker not polling after 120 s:\n${out}`);
      await sleep(200);
    }
    return out;
  }

  it('makes the first build current, its id from its bundle, and tells a later build how to become current', async () => {
    writeFileSync(bundle, code);
    const first = bundleBuildId(code);
    assert.match(first, /^\d+\.\d+\.\d+.*-[0-9a-f]{12}$/);
    const out = await workerProcess('--workflow-bundle', bundle);
    assert.match(
      out,
      new RegExp(
        `worker: build ${first} of worker deployment ${deploymentName} is current \\(the deployment's first\\)`,
      ),
    );
    const later = await workerProcess('--workflow-bundle', bundle, '--build-id', 'next-build');
    assert.ok(
      later.includes(
        `worker: build next-build of worker deployment ${deploymentName} is not current (new upgrades go to build ${first}); ` +
          `it runs only what is pinned to it until made current: ` +
          `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id next-build`,
      ),
      later,
    );
    const described = JSON.parse(await cli('worker', 'deployment', 'describe', '--name', deploymentName)) as {
      routingConfig: { currentVersionBuildID: string };
    };
    assert.equal(described.routingConfig.currentVersionBuildID, first);
  });
});
