/**
 * One upgrade per cluster across servers and workers: two starts of the test cluster at once, one by
 * name through server 1 and one by uuid through server 2, with workflow ids of their own → exactly one
 * runs to the end, the other is refused naming it. Then `kru status`, run from worker A's working
 * directory against server 1 and from worker B's against server 2, says the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { findCluster, loadCatalogue } from '../../activities/catalogue/load.js';
import type { UpgradeStatus } from '../../model/status.js';
import { rootCause } from '../../workflows/cause.js';
import { CLUSTER, freshCluster, nodes, TARGET } from '../e2e/support.js';
import { uniqueQueue } from '../support/temporal.js';
import {
  buildWorker,
  connect,
  frontends,
  killWorker,
  kru,
  startWorker,
  statusField,
  type WorkerProcess,
} from './support.js';

let one: Client;
let two: Client;
let a: WorkerProcess | undefined;
let b: WorkerProcess | undefined;
const taskQueue = uniqueQueue('production');

/** How an upgrade ended: its final status, or the reason it failed. */
async function outcome(handle: WorkflowHandle): Promise<{ completed: boolean; text: string }> {
  try {
    const s = (await handle.result()) as UpgradeStatus;
    return { completed: s.phase === 'completed', text: `${s.phase}: ${s.errors.join('; ')}` };
  } catch (err) {
    return { completed: false, text: rootCause(err) };
  }
}

describe('one upgrade per cluster, two servers and two workers', () => {
  before(async () => {
    buildWorker();
    const [address1, address2] = frontends();
    [one, two] = [await connect(address1), await connect(address2)];
    a = await startWorker('worker-a', address1, taskQueue);
    b = await startWorker('worker-b', address2, taskQueue);
  });
  after(async () => {
    await killWorker(a);
    await killWorker(b);
    await one.connection.close();
    await two.connection.close();
  });

  it('runs one of two concurrent starts (by name, by uuid) and refuses the other, naming it', async () => {
    await freshCluster();
    const uuid = findCluster(loadCatalogue(), CLUSTER).uuid;
    const start = (c: Client, cluster: string, prefix: string) =>
      c.workflow.start('rollingUpgrade', {
        taskQueue,
        workflowId: uniqueQueue(prefix),
        args: [{ cluster, template: TARGET, drainTimeoutSeconds: 60, gateTimeoutSeconds: 60 }],
      });
    const [byName, byUuid] = await Promise.all([start(one, CLUSTER, 'by-name'), start(two, uuid, 'by-uuid')]);
    const [nameEnd, uuidEnd] = await Promise.all([outcome(byName), outcome(byUuid)]);
    assert.equal(
      [nameEnd, uuidEnd].filter((o) => o.completed).length,
      1,
      `exactly one completes: ${nameEnd.text} / ${uuidEnd.text}`,
    );
    const [winner, loser] = nameEnd.completed ? [byName, uuidEnd] : [byUuid, nameEnd];
    assert.ok(loser.text.includes(winner.workflowId), `the refusal names ${winner.workflowId}: ${loser.text}`);
    for (const n of await nodes()) assert.equal(n.kubeletVersion, 'v1.12.7', `${n.name} upgraded once`);
  });

  it('gives the same `kru status` from either working directory, through either server', async () => {
    assert.ok(a && b);
    const [address1, address2] = frontends();
    const fromA = await kru(a.dir, address1, taskQueue, ['status', CLUSTER]);
    const fromB = await kru(b.dir, address2, taskQueue, ['status', CLUSTER]);
    assert.equal(statusField(fromA, 'status'), 'UPDATE_COMPLETE', fromA);
    assert.equal(fromA, fromB);
  });
});
