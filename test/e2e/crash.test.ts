/**
 * Durability: the worker is killed (SIGKILL) in the middle of a drain and in the middle of a node
 * replacement; a new worker takes over. The upgrade completes, no node is left cordoned, and no node
 * is replaced twice (each Node object is deleted exactly once, seen by an independent watch).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  nginxNodes,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
} from './support.js';
import { catalogueWithDelay, kill, startWorker as startWorkerProcess, watchNodes } from './workers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let h: Harness;
// The replacement takes 4 s here, so the worker can be killed while it runs.
const catalogue = catalogueWithDelay(4);

before(async () => {
  process.env.K8S_RU_CATALOGUE = catalogue;
  // The production worker: compiled to dist/ with the workflows bundled ahead (`npm run build:worker`).
  execFileSync('npm', ['run', 'build:worker'], { cwd: root, stdio: 'ignore' });
  h = await harness(false);
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

/** The production worker in its own process (test/e2e/workers.ts): it can be killed for real. */
const startWorker = () => startWorkerProcess(h.taskQueue, catalogue);
/** Counts DELETED events per node, independently of the upgrade. */
const watchDeletions = watchNodes;

async function assertCompletedCleanly(deletions: Map<string, number>) {
  const live = await nodes();
  for (const n of live) {
    assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
    assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
    assert.equal(deletions.get(n.name), 1, `${n.name} deleted ${deletions.get(n.name) ?? 0} times`);
  }
}

describe('worker crashes', () => {
  it('survives a SIGKILL during a drain', async () => {
    const watch = await watchDeletions();
    setBudget(2); // keeps the drain of an nginx node going until the budget is fixed
    let worker = startWorker();
    try {
      const withNginx = await nginxNodes();
      const handle = await startUpgrade(h, { drainTimeoutSeconds: 300 });
      await until(
        handle,
        'a drain in progress',
        (s) => s.nodes.some((n) => n.step === 'drain' && withNginx.includes(n.name)),
        120_000,
      );
      await kill(worker);
      setBudget(1);
      worker = startWorker();
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed');
      await assertCompletedCleanly(watch.deletions);
    } finally {
      watch.stop();
      await kill(worker);
    }
  });

  it('survives a SIGKILL during a node replacement without replacing a node twice', async () => {
    const watch = await watchDeletions();
    let worker = startWorker();
    try {
      const handle = await startUpgrade(h);
      const s = await until(
        handle,
        'a replacement in progress',
        (x) => x.nodes.some((n) => n.step === 'replace'),
        120_000,
      );
      await kill(worker);
      const replacing = s.nodes.find((n) => n.step === 'replace')?.name;
      worker = startWorker();
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed', `after killing the worker while replacing ${replacing}`);
      await assertCompletedCleanly(watch.deletions);
    } finally {
      watch.stop();
      await kill(worker);
    }
  });
});
