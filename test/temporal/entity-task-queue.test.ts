/**
 * The cluster's entity stays on the task queue of the worker that first needed it. When no worker
 * polls that queue (workers moved to another queue, or none runs), reading its state says so, naming
 * the queue and what to do, running or ended (a query of an ended workflow also needs a worker); and
 * the remedy the error and README give holds: a worker on the old queue again, the ended entity's
 * state is read and the next acquire starts it on the new queue, its lock and history kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { clusterEntity, holderState, readState } from '../../client/entity.js';
import { entityId, type HolderRef } from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { devServer, uniqueQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServer();
});
after(async () => await env.teardown());

async function entityWorker(taskQueue: string) {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: { holderState: (ref: HolderRef) => holderState(env.client, ref) },
  });
  const running = worker.run();
  return async () => (worker.shutdown(), await running);
}

const recordOf = (cluster: string): ClusterRecord => ({
  cluster,
  status: 'CREATE_COMPLETE',
  status_reason: '',
  template: 't',
  coe_version: 'v1.11.9',
  updated_at: '',
});

describe("the cluster entity's task queue", () => {
  it('with no worker on it, running or ended, names the queue and the remedy; the remedy moves it', async () => {
    const cluster = uniqueQueue('queue-cluster');
    const record = recordOf(cluster);
    const oldQueue = uniqueQueue('old-queue');
    const newQueue = uniqueQueue('new-queue');
    let stop = await entityWorker(oldQueue);
    const holder = { workflowId: 'upgrade-y', runChain: 'run-1' };
    await clusterEntity(env.client, oldQueue, () => record).acquire({ holder, purpose: 'upgrade' });
    await stop();

    // running, nobody on its queue
    await assert.rejects(readState(env.client, record), (err: Error) => {
      assert.match(err.message, new RegExp(`on its task queue ${oldQueue}`));
      assert.match(err.message, new RegExp(`run a worker on ${oldQueue}`));
      return true;
    });
    // ended (an operator terminated it to move it), nobody on its queue
    await env.client.workflow.getHandle(entityId(cluster)).terminate('moving it');
    await assert.rejects(readState(env.client, record), (err: Error) => {
      assert.match(err.message, /has ended \(TERMINATED\)/);
      assert.match(err.message, new RegExp(`only a worker on ${oldQueue} can read its last state`));
      assert.match(err.message, new RegExp(`temporal workflow delete --workflow-id ${entityId(cluster)}`));
      return true;
    });

    // the remedy: a worker on the old queue reads the ended state; the next acquire starts it on the new queue
    stop = await entityWorker(oldQueue);
    const stopNew = await entityWorker(newQueue);
    try {
      assert.deepEqual((await readState(env.client, record)).holder?.workflowId, holder.workflowId);
      const entity = clusterEntity(env.client, newQueue, () => record);
      await entity.release({ holder, patch: { status_reason: 'released after the move' } });
      const moved = await env.client.workflow.getHandle(entityId(cluster)).describe();
      assert.equal(moved.status.name, 'RUNNING');
      assert.equal(moved.taskQueue, newQueue);
      await stop();
      const state = await entity.state();
      assert.equal(state.holder, undefined);
      assert.equal(state.record.status_reason, 'released after the move');
      assert.deepEqual(
        state.history.map((h) => h.workflowId),
        [holder.workflowId],
      );
    } finally {
      await stop().catch(() => undefined);
      await stopNew();
      await env.client.workflow
        .getHandle(entityId(cluster))
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});
