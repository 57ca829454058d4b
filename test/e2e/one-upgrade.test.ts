/**
 * One upgrade per cluster, whatever the workflow ids: two upgrades of the test cluster started at
 * once — one by its name with the CLI's id, one by its uuid with a schedule's id — on the real local
 * cluster. Exactly one runs (to the end); the other is refused before it touches anything, naming the
 * one that runs. The lock is the cluster's entity in Temporal (workflows/cluster/).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { ourAnnotations } from '../../activities/kube/nodes.js';
import { Failure } from '../../model/errors.js';
import type { UpgradeStatus } from '../../model/status.js';
import {
  CLUSTER,
  closeHarness,
  clusterRecord,
  freshCluster,
  harness,
  type Harness,
  kube,
  resultWithin,
  TARGET,
} from './support.js';

const UUID = 'b43ffae2-2d35-4951-b3f1-17a7acec3ade';

let h: Harness;
before(async () => {
  await freshCluster();
  h = await harness();
});
after(async () => await closeHarness(h));

const start = (cluster: string, workflowId: string) =>
  h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [{ cluster, template: TARGET, drainTimeoutSeconds: 60, gateTimeoutSeconds: 60 }],
  });

/** The failure a refused upgrade ended with. */
async function refusedWith(handle: WorkflowHandle): Promise<ApplicationFailure> {
  try {
    await handle.result();
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    return cause;
  }
  assert.fail(`${handle.workflowId} should have been refused`);
}

describe('two upgrades of one cluster started at once', () => {
  it('by name and by uuid, with different ids: exactly one runs, the other is refused naming it', async () => {
    const byName = `upgrade-${CLUSTER}`;
    const byUuid = `upgrade-${CLUSTER}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const [a, b] = await Promise.all([start(CLUSTER, byName), start(UUID, byUuid)]);
    // the refused one ends first (before its plan), the other goes on
    const first = await Promise.race(
      [a, b].map((x) =>
        x.result().then(
          () => x,
          () => x,
        ),
      ),
    );
    const runs = first === a ? b : a;
    const refused = await refusedWith(first);
    assert.equal(refused.type, Failure.ClusterLocked);
    assert.match(
      refused.message,
      new RegExp(`^cluster ${CLUSTER} is locked by upgrade ${runs.workflowId} \\(since .*, to ${TARGET}\\): `),
    );
    assert.match(refused.message, new RegExp(`temporal workflow cancel --workflow-id ${runs.workflowId}`));
    const status = await first.query<UpgradeStatus>('status');
    assert.equal(status.phase, 'failed');
    assert.equal(status.done, 0);

    const final = await resultWithin(runs);
    assert.equal(final.phase, 'completed');
    const record = await clusterRecord();
    assert.equal(record.status, 'UPDATE_COMPLETE');
    assert.equal(record.workflow_id, runs.workflowId);
    assert.equal(record.template, TARGET);
    // nothing on any node names the refused upgrade
    for (const node of (await kube().core.listNode()).items) {
      const by = node.metadata?.annotations?.['k8s-rolling-upgrade/cordoned-by'];
      assert.notEqual(by, first.workflowId, `${node.metadata?.name} was touched by the refused upgrade`);
      assert.deepEqual(ourAnnotations(node), [], `${node.metadata?.name} carries no upgrade record`);
    }
  });
});
