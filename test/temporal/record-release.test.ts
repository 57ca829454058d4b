/**
 * The record's last write lets go of the cluster's lock: when the entity does not take it for a while
 * (its worker away, Temporal slow), the upgrade retries it until it does, so an upgrade that ended is
 * never reported failed, nor its cluster left locked, for want of that write.
 * Real dev server, mocked activities.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Activities } from '../../activities/index.js';
import type { UpgradeStatus } from '../../model/status.js';
import { mockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness, uniqueQueue } from '../support/temporal.js';

const world = mockWorld(['cp-0'], ['w-0'], 20);
const ends: string[] = [];
let failuresLeft = 3;
const activities: Partial<Activities> = {
  ...world.activities,
  releaseCluster: async (input) => {
    ends.push(String(input.patch?.status));
    if (input.patch && failuresLeft-- > 0) throw new Error('the entity did not answer');
    return await world.activities.releaseCluster!(input);
  },
};
let h: Harness;
before(async () => {
  h = await harness(activities, 'record-release');
});
after(async () => await closeHarness(h));

describe("the record's last write", () => {
  it('is retried until the entity takes it, with no limit of attempts, and the upgrade completes', async () => {
    const handle = await h.client.workflow.start('rollingUpgrade', {
      taskQueue: h.taskQueue,
      workflowId: uniqueQueue('record-release'),
      args: [{ cluster: 'c', template: 't' }],
    });
    const result = (await handle.result()) as UpgradeStatus;
    assert.equal(result.phase, 'completed');
    assert.deepEqual(ends, Array(4).fill('UPDATE_COMPLETE'), 'three refused writes, then the one taken');

    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'releaseCluster');
    assert.equal(scheduled.length, 1);
    // 0 (or absent) is "no limit": the write outlasts any outage of the entity's worker
    assert.equal(scheduled[0]?.retryPolicy?.maximumAttempts ?? 0, 0);
  });
});
