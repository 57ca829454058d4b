/**
 * The replay fixture of `clusterRecord`, the clusters' entity (workflows/cluster/): it runs for ever and
 * moves to each new worker build (AUTO_UPGRADE), so every build replays its histories. record.ts drives
 * one entity directly (test/support/cluster-entity.ts, as test/temporal/cluster-entity.test.ts does)
 * through the lock's paths, checks the answers, and writes every run of it; replay.test.ts checks the
 * files are there.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { forgetEntity } from '../../client/entity.js';
import { Failure } from '../../model/errors.js';
import { entityId } from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';
import { entityDriver, plainRecord, refusal } from '../support/cluster-entity.js';
import { collectHistories, type RecordedRun } from './histories.js';

export const ENTITY = {
  name: 'cluster-entity',
  covers:
    'clusterRecord: of two concurrent acquires one granted, the other refused; patch; release; acquire again; ' +
    'a terminated holder cleared by the next acquire (holderState); continue-as-new holding the lock, ' +
    'a refusal and a release in the next run',
  workflowType: 'clusterRecord',
  /** at least this many runs (continue-as-new) */
  runs: 2,
};

/** The entity's cluster (id cluster-fixture-entity): not in any catalogue. */
const CLUSTER = 'fixture-entity';
/** Low enough that patching for a while continues it as new, high enough that the paths before fit one run. */
const MAX_HISTORY_EVENTS = 80;

/** Drives the entity on the worker polling `taskQueue` (which has the holderState activity) and returns its runs. */
export async function recordEntity(client: Client, taskQueue: string): Promise<RecordedRun[]> {
  await forgetEntity(client, CLUSTER);
  const d = entityDriver(client, taskQueue, () => plainRecord(CLUSTER));
  const send = <T = ClusterRecord>(update: string, arg: unknown) => d.send<T>(update, arg, MAX_HISTORY_EVENTS);
  const [a, b, c] = [await d.standIn(), await d.standIn(), await d.standIn()];
  try {
    const asks = await Promise.allSettled([a, b].map((holder) => send('acquire', { holder, purpose: 'upgrade' })));
    assert.equal(asks.filter((r) => r.status === 'fulfilled').length, 1, 'one of two concurrent acquires granted');
    const [winner, loser] = asks[0]?.status === 'fulfilled' ? [a, b] : [b, a];
    const lost = asks.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((await refusal(Promise.reject(lost.reason))).type, Failure.ClusterLocked);
    const firstRun = (await d.handle().describe()).runId;

    await send('patch', { holder: winner, patch: { status: 'UPDATE_IN_PROGRESS', workflow_id: winner.workflowId } });
    const done = await send('release', { holder: winner, patch: { status: 'UPDATE_COMPLETE' } });
    assert.equal(done.status, 'UPDATE_COMPLETE');
    await send('acquire', { holder: loser, purpose: 'upgrade' });
    await send('patch', { holder: loser, patch: { status: 'UPDATE_IN_PROGRESS', workflow_id: loser.workflowId } });
    await client.workflow.getHandle(loser.workflowId).terminate('fixture: a holder that ended holding the lock');
    const taken = await d.takeOver(c, 'recover');
    assert.equal(taken.lost?.outcome, 'TERMINATED');
    assert.equal(taken.record.status, 'UPDATE_FAILED');
    assert.equal((await d.handle().describe()).runId, firstRun, `the paths fit the first run (${MAX_HISTORY_EVENTS})`);

    for (let i = 0; i < 50 && (await d.handle().describe()).runId === firstRun; i++)
      await send('patch', { holder: c, patch: { status_reason: `step ${i}` } });
    assert.notEqual((await d.handle().describe()).runId, firstRun, 'it continued as new');
    const carried = await d.state();
    assert.equal(carried.holder?.workflowId, c.workflowId);
    assert.deepEqual(
      carried.history.map((h) => [h.workflowId, h.outcome]),
      [
        [winner.workflowId, 'UPDATE_COMPLETE'],
        [loser.workflowId, 'TERMINATED'],
      ],
    );
    assert.equal((await refusal(send('acquire', { holder: a, purpose: 'upgrade' }))).type, Failure.ClusterLocked);
    await send('release', { holder: c, patch: { status: 'UPDATE_COMPLETE', status_reason: 'recovered' } });
    assert.equal((await d.state()).holder, undefined);

    // ended, so that its last run's history is whole (it would otherwise run for ever)
    await d.handle().terminate('fixture recorded');
    const runs = await collectHistories(client, entityId(CLUSTER), firstRun);
    assert.ok(runs.length >= ENTITY.runs, `${runs.length} runs of the entity, expected ${ENTITY.runs}+`);
    return runs;
  } finally {
    for (const h of [a, b, c])
      await client.workflow
        .getHandle(h.workflowId)
        .terminate()
        .catch(() => undefined);
  }
}
