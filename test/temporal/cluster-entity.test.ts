/**
 * The cluster's entity (workflows/cluster/) on the real dev server, with the real record activities:
 * the lock's updates sent directly (two at once, a holder that was terminated, continue-as-new), and
 * `rollingUpgrade` over a simulated cluster taking and letting go of it on every ending. Any running
 * workflow can hold the lock: the direct tests use stand-ins (entities of clusters that do not exist).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadCatalogue } from '../../activities/catalogue/load.js';
import { declaredRecord } from '../../activities/catalogue/declared.js';
import { recordActivities } from '../../activities/record/activities.js';
import { Failure } from '../../model/errors.js';
import type { UpgradeStatus } from '../../model/status.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { entityDriver, forgetEntities, refusal } from '../support/cluster-entity.js';
import { mockWorld } from '../support/mock-activities.js';
import { devServer, uniqueQueue, until } from '../support/temporal.js';

const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
process.env.K8S_RU_CATALOGUE = fixture;
const catalogue = () => loadCatalogue(fixture);
const CLUSTER = 'k8s-upgrade-test';
const UUID = 'b43ffae2-2d35-4951-b3f1-17a7acec3ade';

const world = mockWorld(['cp-0'], ['w-0', 'w-1'], 50, { holdDrain: ['w-0'], gateFailsFrom: 1 });
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueQueue('entity');

before(async () => {
  env = await devServer();
  await forgetEntities(env.client);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    // the simulated cluster, with the real lock and record
    activities: { ...world.activities, ...recordActivities({ catalogue, temporal: env.client }) },
  });
  running = worker.run();
});
after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});
beforeEach(async () => await forgetEntities(env.client, [CLUSTER]));

const driver = () => entityDriver(env.client, taskQueue, () => declaredRecord(catalogue(), catalogue().clusters[0]!));
const entity = () => driver().handle();
const state = () => driver().state();
/** A running workflow to hold the lock. */
const standIn = () => driver().standIn();
/** An update to the cluster's entity, started (as the activities start it) when it does not run. */
const send = <T>(update: string, arg: unknown, maxHistoryEvents?: number) =>
  driver().send<T>(update, arg, maxHistoryEvents);

describe('the cluster entity', () => {
  it('of two concurrent acquires grants exactly one; the other is refused naming the holder', async () => {
    const [a, b] = [await standIn(), await standIn()];
    const asks = [a, b].map((holder) => send('acquire', { holder, purpose: 'upgrade', target: 'x' }));
    const results = await Promise.allSettled(asks);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, JSON.stringify(results));
    const winner = results[0]?.status === 'fulfilled' ? a : b;
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    const f = await refusal(Promise.reject(lost.reason));
    assert.equal(f.type, Failure.ClusterLocked);
    assert.match(f.message, new RegExp(`^cluster ${CLUSTER} is locked by upgrade ${winner.workflowId} \\(since `));
    assert.match(f.message, /`kru abort k8s-upgrade-test`.*temporal workflow cancel --workflow-id/);
    assert.equal((await state()).holder?.workflowId, winner.workflowId);
    // asked again at once: the validator refuses without a new look (nothing enters the history)
    const before = (await entity().describe()).historyLength;
    const again = await refusal(send('acquire', { holder: winner === a ? b : a, purpose: 'upgrade' }));
    assert.equal(again.type, Failure.ClusterLocked);
    assert.equal((await entity().describe()).historyLength, before);
    // the holder asking again (a retried activity) keeps it
    await send('acquire', { holder: winner, purpose: 'upgrade', target: 'x' });
    assert.equal((await state()).holder?.workflowId, winner.workflowId);
  });

  it('lets only the holder change the record; a release by another changes nothing; bad input is refused', async () => {
    const [a, b] = [await standIn(), await standIn()];
    await send('acquire', { holder: a, purpose: 'upgrade' });
    const patched = await send<{ status: string }>('patch', {
      holder: a,
      patch: { status: 'UPDATE_IN_PROGRESS', status_reason: 'upgrading', workflow_id: a.workflowId },
    });
    assert.equal(patched.status, 'UPDATE_IN_PROGRESS');
    const f = await refusal(send('patch', { holder: b, patch: { status: 'UPDATE_COMPLETE' } }));
    assert.match(
      f.message,
      new RegExp(`^${b.workflowId} may not change the record of cluster ${CLUSTER}: upgrade ${a.workflowId}`),
    );
    await send('release', { holder: b, patch: { status: 'UPDATE_COMPLETE' } });
    assert.equal((await state()).record.status, 'UPDATE_IN_PROGRESS');
    assert.equal((await state()).holder?.workflowId, a.workflowId);
    const bad = await refusal(send('acquire', { holder: { workflowId: '' }, purpose: 'sideways' }));
    assert.equal(bad.type, Failure.InvalidInput);
    assert.match(
      bad.message,
      /"holder.workflowId" must be a non-empty string; "holder.runChain" must be .*; "purpose" must be "upgrade" or "recover"/,
    );
    const own = await refusal(send('patch', { holder: a, patch: { cluster: 'other', updated_at: 'never' } }));
    assert.match(own.message, /"patch" may not set cluster, updated_at/);
    const done = await send<{ status: string }>('release', { holder: a, patch: { status: 'UPDATE_COMPLETE' } });
    assert.equal(done.status, 'UPDATE_COMPLETE');
    const s = await state();
    assert.equal(s.holder, undefined);
    assert.equal(s.history.at(-1)?.workflowId, a.workflowId);
    assert.equal(s.history.at(-1)?.outcome, 'UPDATE_COMPLETE');
  });

  it('takes the lock from a holder that was terminated, and says so in the record it left unfinished', async () => {
    const [a, b] = [await standIn(), await standIn()];
    await send('acquire', { holder: a, purpose: 'upgrade' });
    await send('patch', { holder: a, patch: { status: 'UPDATE_IN_PROGRESS', workflow_id: a.workflowId } });
    await refusal(send('acquire', { holder: b, purpose: 'upgrade' }));
    await env.client.workflow.getHandle(a.workflowId).terminate('lost');
    // while it was found running a moment ago the validator refuses on sight; then it is looked at again
    const granted = await driver().takeOver(b, 'recover');
    assert.ok(granted, 'the lock went to the next one');
    assert.equal(granted.lost?.outcome, 'TERMINATED');
    assert.equal(granted.record.status, 'UPDATE_FAILED');
    assert.match(
      granted.record.status_reason,
      new RegExp(`^upgrade ${a.workflowId} ended terminated while UPDATE_IN_PROGRESS`),
    );
    const s = await state();
    assert.equal(s.holder?.workflowId, b.workflowId);
    assert.equal(s.holder?.purpose, 'recover');
    assert.deepEqual(
      s.history.map((h) => [h.workflowId, h.outcome]),
      [[a.workflowId, 'TERMINATED']],
    );
  });

  it('continues as new with its record, its lock and its history', async () => {
    const [a, b] = [await standIn(), await standIn()];
    await send('acquire', { holder: a, purpose: 'upgrade' }, 60);
    const firstRun = (await entity().describe()).runId;
    for (let i = 0; i < 30 && (await entity().describe()).runId === firstRun; i++) {
      await send('patch', { holder: a, patch: { status: 'UPDATE_IN_PROGRESS', status_reason: `step ${i}` } });
    }
    const run = (await entity().describe()).runId;
    assert.notEqual(run, firstRun, 'it continued as new');
    const s = await state();
    assert.equal(s.holder?.workflowId, a.workflowId);
    assert.match(s.record.status_reason, /^step \d+$/);
    assert.equal((await refusal(send('acquire', { holder: b, purpose: 'upgrade' }))).type, Failure.ClusterLocked);
    const next = await send<{ status_reason: string }>('patch', { holder: a, patch: { status_reason: 'after' } });
    assert.equal(next.status_reason, 'after');
    await send('release', { holder: a, patch: { status: 'UPDATE_COMPLETE' } });
    assert.equal((await state()).history.at(-1)?.workflowId, a.workflowId);
  });
});

describe('rollingUpgrade and the lock', () => {
  const start = (extra: object = {}, cluster = CLUSTER) =>
    env.client.workflow.start('rollingUpgrade', {
      taskQueue,
      workflowId: uniqueQueue('upgrade'),
      args: [{ cluster, template: 'kubernetes-v1.12.7-prod-20190403', ...extra }],
    });
  const draining = (s: UpgradeStatus) => s.nodes.some((n) => n.name === 'w-0' && n.step === 'drain');

  it('lets go when the upgrade completes, and a continued-as-new upgrade keeps it meanwhile', async () => {
    world.reset();
    world.heal();
    world.release('w-0');
    const handle = await start({ maxHistoryEvents: 20 });
    const s = (await handle.result()) as UpgradeStatus;
    assert.equal(s.phase, 'completed');
    assert.notEqual((await handle.describe()).runId, handle.firstExecutionRunId, 'it continued as new');
    const after = await state();
    assert.equal(after.holder, undefined);
    assert.equal(after.record.status, 'UPDATE_COMPLETE');
    assert.deepEqual(
      after.history.map((h) => [h.workflowId, h.outcome]),
      [[handle.workflowId, 'UPDATE_COMPLETE']],
    );
  });

  it('lets go when the upgrade fails before it starts (an unhealthy cluster), the record as it was', async () => {
    world.reset();
    const handle = await start();
    await assert.rejects(handle.result(), WorkflowFailedError);
    const after = await state();
    assert.equal(after.holder, undefined);
    assert.equal(after.record.status, 'CREATE_COMPLETE');
    assert.equal(after.history.at(-1)?.workflowId, handle.workflowId);
  });

  for (const how of ['abort', 'cancel'] as const) {
    it(`lets go when the upgrade is ${how === 'abort' ? 'aborted' : 'cancelled'} mid-drain`, async () => {
      world.reset();
      world.heal();
      const handle = await start();
      await until(handle, 'w-0 draining', draining, 60_000);
      assert.equal((await state()).holder?.workflowId, handle.workflowId);
      if (how === 'abort') await handle.signal('abort', { reason: 'test' });
      else await handle.cancel();
      await handle.result().catch(() => undefined);
      const after = await state();
      assert.equal(after.holder, undefined);
      assert.equal(after.record.status, 'UPDATE_ABORTED');
      assert.equal(after.record.workflow_id, handle.workflowId);
    });
  }

  it('of two upgrades started at once (by name and by uuid, different ids), exactly one runs', async () => {
    world.reset();
    world.heal();
    const [one, two] = await Promise.all([start({}, CLUSTER), start({}, UUID)]);
    const ended = await Promise.race(
      [one, two].map((h) =>
        h.result().then(
          () => h,
          () => h,
        ),
      ),
    );
    const other = ended === one ? two : one;
    try {
      await ended.result();
      assert.fail('the refused one ends first');
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError);
      const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
      assert.ok(cause instanceof ApplicationFailure, String(cause));
      assert.equal(cause.type, Failure.ClusterLocked);
      assert.match(cause.message, new RegExp(`^cluster ${CLUSTER} is locked by upgrade ${other.workflowId} `));
    }
    await until(other, 'w-0 draining', draining, 60_000);
    await other.signal('abort');
    await other.result().catch(() => undefined);
    assert.equal((await state()).holder, undefined);
  });
});
