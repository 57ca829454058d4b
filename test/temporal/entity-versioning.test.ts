/**
 * The cluster's entity on versioned workers (the real dev server): it runs for ever, so it must not be
 * pinned to the build that started it (its build's workers are retired once drained). On a worker that
 * runs as a version of a Worker Deployment it is AUTO_UPGRADE (workflows/versioning.ts): once build B
 * is made current its next task runs on B, and it keeps answering after A's workers stop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeVersioningBehavior } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { clusterEntity, holderState } from '../../client/entity.js';
import { entityId, type HolderRef } from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';
import { settleRouting } from '../../worker/deployment.js';
import { tracing } from '../../worker/tracing.js';
import { bundleWorkflows, deploymentOptions } from '../../worker/worker.js';
import { devServer, uniqueQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let code: string;
before(async () => {
  env = await devServer();
  code = await bundleWorkflows();
});
after(async () => await env.teardown());

/** A worker of one build running the entity (its only activity: describing a holder). */
async function build(deploymentName: string, buildId: string, taskQueue: string) {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code },
    activities: { holderState: (ref: HolderRef) => holderState(env.client, ref) },
    identity: `build-${buildId}`,
    sinks: tracing().sinks,
    workerDeploymentOptions: deploymentOptions({ deploymentName, buildId }),
  });
  const running = worker.run();
  return { stop: async () => (worker.shutdown(), await running) };
}

describe('the cluster entity on versioned workers', () => {
  it('is AUTO_UPGRADE: moves to the build made current and answers once the old build stopped', async () => {
    const deploymentName = uniqueQueue('entity-deployment');
    const taskQueue = uniqueQueue('entity-versioned');
    const cluster = uniqueQueue('versioned-cluster');
    const record: ClusterRecord = {
      cluster,
      status: 'CREATE_COMPLETE',
      status_reason: '',
      template: 't',
      coe_version: 'v1.11.9',
      updated_at: '',
    };
    const a = await build(deploymentName, 'A', taskQueue);
    const b: { stop?: () => Promise<void> } = {};
    try {
      const routing = await settleRouting(env.nativeConnection, 'default', { deploymentName, buildId: 'A' }, 'test');
      assert.equal(routing.state, 'made-current');
      const entity = clusterEntity(env.client, taskQueue, () => record);
      const holder = { workflowId: 'upgrade-x', runChain: 'run-1' };
      await entity.acquire({ holder, purpose: 'upgrade', target: 't2' });

      const handle = env.client.workflow.getHandle(entityId(cluster));
      const versioning = async () => (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
      const onA = await versioning();
      assert.equal(decodeVersioningBehavior(onA?.behavior), 'AUTO_UPGRADE', JSON.stringify(onA));
      assert.equal(onA?.deploymentVersion?.buildId, 'A');

      b.stop = (await build(deploymentName, 'B', taskQueue)).stop;
      // refused until B polls every task queue A does: asked again
      for (let i = 0; ; i++) {
        try {
          await env.client.workflowService.setWorkerDeploymentCurrentVersion({
            namespace: 'default',
            deploymentName,
            buildId: 'B',
            identity: 'test',
          });
          break;
        } catch (err) {
          if (i > 30) throw err;
          await sleep(1000);
        }
      }
      await a.stop();
      // the next task (this release) runs on B, A's workers gone
      const released = await entity.release({ holder, patch: { status_reason: 'released on B' } });
      assert.equal(released.status_reason, 'released on B');
      const onB = await versioning();
      assert.equal(decodeVersioningBehavior(onB?.behavior), 'AUTO_UPGRADE', JSON.stringify(onB));
      assert.equal(onB?.deploymentVersion?.buildId, 'B');
      const events = (await handle.fetchHistory()).events ?? [];
      const tasks = events.flatMap((e) => e.workflowTaskCompletedEventAttributes?.identity ?? []);
      assert.equal(tasks.at(-1), 'build-B', tasks.join(', '));
      assert.equal((await entity.state()).holder, undefined);
    } finally {
      await a.stop().catch(() => undefined);
      await b.stop?.();
      await env.client.workflow
        .getHandle(entityId(cluster))
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});
