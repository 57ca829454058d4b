/**
 * Bounded history: with a small `maxHistoryEvents` the upgrade continues as new between batches,
 * carrying its progress. The status stays correct across runs, and pause and abort keep working.
 * Real dev server, mocked activities (6 simulated nodes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UpgradeStatus } from '../../model/status.js';
import { mockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness, uniqueQueue, until } from '../support/temporal.js';

const masters = ['cp-0', 'cp-1'];
const workers = ['w-0', 'w-1', 'w-2', 'w-3'];
const { cordoned, activities, reset } = mockWorld(masters, workers, 300);
let h: Harness;
before(async () => {
  h = await harness(activities, 'can');
});
after(async () => await closeHarness(h));

async function start() {
  reset();
  return await h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId: uniqueQueue('can-upgrade'),
    args: [{ cluster: 'c', template: 't', maxHistoryEvents: 20 }],
  });
}

describe('continue-as-new mid-upgrade', () => {
  it('carries status and pause across runs and completes every node once', async () => {
    const handle = await start();
    const firstRun = handle.firstExecutionRunId;
    await until(handle, 'a few nodes done', (s) => s.done >= 3, 60_000);
    await handle.signal('pause', { reason: 'across runs' });
    const paused = await until(handle, 'paused', (s) => s.phase === 'paused', 30_000);
    const run = (await handle.describe()).runId;
    assert.notEqual(run, firstRun, 'the upgrade continued as new before the pause');
    assert.equal(paused.nodes.filter((n) => n.step === 'done').length, paused.done);
    assert.deepEqual(
      paused.nodes.slice(0, 3).map((n) => n.step),
      ['done', 'done', 'done'],
    );
    assert.equal(paused.pausedReason, 'paused by the operator: across runs');
    await handle.signal('resume');
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'completed');
    assert.equal(final.done, 6);
    assert.deepEqual(
      cordoned.map((c) => c.node),
      [...masters, ...workers],
      'each node upgraded once, control plane first',
    );
  });

  it('aborts after continuing as new', async () => {
    const handle = await start();
    await until(handle, 'a new run', () => true, 5_000);
    for (let i = 0; i < 100; i++) {
      if ((await handle.describe()).runId !== handle.firstExecutionRunId) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.notEqual((await handle.describe()).runId, handle.firstExecutionRunId);
    await handle.signal('abort', { reason: 'test' });
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'aborted');
    assert.ok(final.done < 6);
    assert.ok(final.errors.includes('abort requested: test'));
  });
});
