/**
 * Graceful shutdown of the production worker on a real upgrade (kwok replacements of 8 s), with a
 * second worker started at once, as a Deployment's rolling update or a drained node would:
 * - SIGTERM in the middle of a replacement: the worker takes no new task (no workflow task, no
 *   activity scheduled after the signal), says alive but not ready, lets the replacement finish within
 *   its grace (900 s), then exits by itself; the second worker does the rest;
 * - a second SIGTERM ends the worker at once, the replacement cut short; the second worker's retry
 *   registers the node (deleted once);
 * - SIGINT with a grace shorter than the replacement: the replacement is cancelled when the grace
 *   runs out, the worker exits, the second worker's retry replaces the node (deleted once).
 * Each upgrade completes, every node at the new version, none cordoned, none deleted twice.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeHarness, freshCluster, harness, type Harness, nodes, resultWithin, startUpgrade } from './support.js';
import {
  catalogueWithDelay,
  eventTime,
  exitWithin,
  freePort,
  kill,
  lastAttempt,
  type NodeWatch,
  startWorker,
  upgradeHistories,
  watchNodes,
  type WorkerProcess,
} from './workers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REPLACE_S = 8;
const catalogue = catalogueWithDelay(REPLACE_S);
let h: Harness;

before(async () => {
  process.env.K8S_RU_CATALOGUE = catalogue;
  execFileSync('npm', ['run', 'build:worker'], { cwd: root, stdio: 'ignore' });
  h = await harness(false);
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

/** The first node whose replacement has deleted it (the worker is in the middle of that replacement). */
async function replacing(watch: NodeWatch, worker: WorkerProcess): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const [node] = [...watch.deletedAt.keys()];
    if (node) return node;
    assert.ok(worker.running(), `the worker ended before any replacement:\n${worker.output()}`);
    await sleep(100);
  }
  throw new Error(`no node was replaced within 120 s; the worker said:\n${worker.output()}`);
}

async function health(port: number, path: string): Promise<[number, string]> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return [res.status, (await res.text()).trim()];
}

async function assertCompletedCleanly(watch: NodeWatch) {
  for (const n of await nodes()) {
    assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
    assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
    assert.equal(watch.deletions.get(n.name), 1, `${n.name} deleted ${watch.deletions.get(n.name) ?? 0} times`);
  }
}

describe('worker shutdown', () => {
  it('on SIGTERM finishes the replacement under way, takes no new task and exits; a second worker does the rest', async () => {
    const watch = await watchNodes();
    const port = await freePort();
    const first = startWorker(h.taskQueue, catalogue, { K8S_RU_HEALTH_PORT: String(port) });
    let second: WorkerProcess | undefined;
    try {
      const handle = await startUpgrade(h);
      const node = await replacing(watch, first);
      assert.deepEqual(await health(port, '/readyz'), [200, 'ready: polling (RUNNING)']);
      const signalled = Date.now();
      first.child.kill('SIGTERM');
      second = startWorker(h.taskQueue, catalogue);
      // draining: alive (a liveness probe must not kill it), not ready
      await sleep(500);
      assert.ok(first.running(), `the worker exited on SIGTERM with a replacement under way:\n${first.output()}`);
      assert.match((await health(port, '/healthz')).join(' '), /^200 alive: (STOPPING|DRAINING|DRAINED)$/);
      assert.match(
        (await health(port, '/readyz')).join(' '),
        /^503 not ready: not polling \((STOPPING|DRAINING|DRAINED)\)$/,
      );

      const exit = await exitWithin(first, 60_000);
      assert.deepEqual([exit.code, exit.signal], [0, null], first.output());
      const added = watch.addedAgainAt.get(node) ?? Infinity;
      assert.ok(added > signalled && added <= exit.at, `${node} was not registered again before the worker exited`);
      await assert.rejects(health(port, '/healthz'), 'the health checks end with the worker');

      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed', JSON.stringify(final.nodes));
      await assertCompletedCleanly(watch);

      const histories = await upgradeHistories(h.client, handle);
      const replacement = lastAttempt(histories, 'replaceNode', node);
      assert.deepEqual(replacement, { identity: first.identity, attempt: 1, lastFailure: undefined, completed: true });
      // After the signal the first worker took no task: neither a workflow task nor an activity scheduled since.
      const events = histories.flat();
      const taken = events.filter((e) => {
        const by = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        return by === first.identity;
      });
      for (const e of taken.filter((x) => x.workflowTaskStartedEventAttributes)) {
        assert.ok(
          eventTime(e) < signalled,
          `the first worker took a workflow task ${eventTime(e) - signalled} ms after SIGTERM`,
        );
      }
      const activitiesSince = histories.flatMap((list) =>
        list
          .filter((e) => e.activityTaskScheduledEventAttributes && eventTime(e) > signalled)
          .map((e) => String(e.eventId)),
      );
      assert.ok(activitiesSince.length > 0, 'no activity was scheduled after SIGTERM: the test proves nothing');
      for (const list of histories) {
        for (const e of list) {
          const started = e.activityTaskStartedEventAttributes;
          if (!started || started.identity !== first.identity) continue;
          const scheduled = list.find((x) => String(x.eventId) === String(started.scheduledEventId));
          assert.ok(
            scheduled && eventTime(scheduled) < signalled,
            `the first worker took an activity scheduled after SIGTERM`,
          );
        }
      }
      const secondTook = events.filter((e) => e.workflowTaskStartedEventAttributes?.identity === second?.identity);
      assert.ok(secondTook.length > 0, 'the second worker took no workflow task');
    } finally {
      watch.stop();
      await kill(first);
      if (second) await kill(second);
    }
  });

  it('ends at once on a second SIGTERM; a second worker replaces the node the first left half done', async () => {
    const watch = await watchNodes();
    const first = startWorker(h.taskQueue, catalogue);
    let second: WorkerProcess | undefined;
    try {
      const handle = await startUpgrade(h);
      const node = await replacing(watch, first);
      first.child.kill('SIGTERM');
      await sleep(1000);
      assert.ok(first.running(), `the worker exited on the first SIGTERM:\n${first.output()}`);
      first.child.kill('SIGTERM');
      const exit = await exitWithin(first, 5_000);
      assert.equal(exit.signal, 'SIGTERM', `exit ${JSON.stringify(exit)}`);
      assert.equal(
        watch.addedAgainAt.get(node),
        undefined,
        `${node} was registered again: the replacement was not cut short`,
      );

      second = startWorker(h.taskQueue, catalogue);
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed', JSON.stringify(final.nodes));
      await assertCompletedCleanly(watch);
      const replacement = lastAttempt(await upgradeHistories(h.client, handle), 'replaceNode', node);
      assert.equal(replacement.identity, second.identity, JSON.stringify(replacement));
      assert.ok((replacement.attempt ?? 0) >= 2 && replacement.completed, JSON.stringify(replacement));
    } finally {
      watch.stop();
      await kill(first);
      if (second) await kill(second);
    }
  });

  it('on SIGINT cancels the replacement when the grace runs out and exits; a second worker replaces the node', async () => {
    const GRACE_S = 2;
    const watch = await watchNodes();
    const first = startWorker(h.taskQueue, catalogue, { K8S_RU_SHUTDOWN_GRACE: String(GRACE_S) });
    let second: WorkerProcess | undefined;
    try {
      const handle = await startUpgrade(h);
      const node = await replacing(watch, first);
      const signalled = Date.now();
      first.child.kill('SIGINT');
      const exit = await exitWithin(first, 30_000);
      assert.deepEqual([exit.code, exit.signal], [0, null], first.output());
      const took = exit.at - signalled;
      assert.ok(took >= GRACE_S * 1000 - 200, `the worker exited ${took} ms after SIGINT, before its grace ran out`);
      assert.equal(
        watch.addedAgainAt.get(node),
        undefined,
        `${node} was registered again: the replacement was not cancelled`,
      );

      second = startWorker(h.taskQueue, catalogue);
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed', JSON.stringify(final.nodes));
      await assertCompletedCleanly(watch);
      const replacement = lastAttempt(await upgradeHistories(h.client, handle), 'replaceNode', node);
      assert.equal(replacement.identity, second.identity, JSON.stringify(replacement));
      assert.ok((replacement.attempt ?? 0) >= 2 && replacement.completed, JSON.stringify(replacement));
    } finally {
      watch.stop();
      await kill(first);
      if (second) await kill(second);
    }
  });
});
