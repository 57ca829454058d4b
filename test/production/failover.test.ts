/**
 * Failover on the production-shaped Temporal: worker A on server 1's frontend is draining a node
 * when worker A and server process 1 are SIGKILLed together; worker B, on server 2's frontend only,
 * carries the drain and the rest of the upgrade to the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { CLUSTER, freshCluster, nginxNodes, nodes, resultWithin, setBudget, TARGET, until } from '../e2e/support.js';
import { uniqueQueue } from '../support/temporal.js';
import {
  buildWorker,
  connect,
  frontends,
  killServer,
  killWorker,
  kru,
  startServers,
  startWorker,
  statusField,
  type WorkerProcess,
} from './support.js';

let one: Client;
let two: Client;

before(async () => {
  buildWorker();
  const [a, b] = frontends();
  [one, two] = [await connect(a), await connect(b)];
});
after(async () => {
  await one.connection.close();
  await two.connection.close();
  // The next test file finds both servers running.
  startServers();
});

describe('two servers, two workers', () => {
  it('finishes an upgrade on worker B and server 2 when worker A and server 1 are SIGKILLed mid-drain', async () => {
    await freshCluster();
    const taskQueue = uniqueQueue('production');
    const [address1, address2] = frontends();
    let a: WorkerProcess | undefined;
    let b: WorkerProcess | undefined;
    try {
      setBudget(2); // an nginx node's drain waits until the budget is fixed
      // Only A runs at first, so the drain starts on A.
      a = await startWorker('worker-a', address1, taskQueue);
      const withNginx = await nginxNodes();
      const started = await one.workflow.start('rollingUpgrade', {
        taskQueue,
        workflowId: uniqueQueue('upgrade'),
        args: [{ cluster: CLUSTER, template: TARGET, drainTimeoutSeconds: 300, gateTimeoutSeconds: 60 }],
      });
      const s = await until(
        started,
        'a drain in progress on worker A',
        (x) => x.nodes.some((n) => n.step === 'drain' && withNginx.includes(n.name)),
        120_000,
      );
      const draining = s.nodes.find((n) => n.step === 'drain' && withNginx.includes(n.name))?.name ?? '';
      b = await startWorker('worker-b', address2, taskQueue);
      await Promise.all([killWorker(a), killServer(1)]);
      setBudget(1);

      // Server 1 is gone: everything from here goes through server 2.
      const handle = two.workflow.getHandle(started.workflowId);
      const final = await resultWithin(handle, 300_000);
      assert.equal(final.phase, 'completed', `after killing worker A and server 1 while draining ${draining}`);
      for (const n of await nodes()) {
        assert.equal(n.kubeletVersion, 'v1.12.7', `${n.name} is at the new version`);
        assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
      }
      const show = await kru(b.dir, address2, taskQueue, ['status', CLUSTER]);
      assert.equal(statusField(show, 'status'), 'UPDATE_COMPLETE', show);

      // The drain's history: started on A (the attempt that was lost), finished by B.
      const child = two.workflow.getHandle(`${started.workflowId}/${draining}`);
      const events = (await child.fetchHistory()).events ?? [];
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'drainNode');
      assert.ok(scheduled, `the drain of ${draining} is in its history`);
      const startedDrain = events.find(
        (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
      )?.activityTaskStartedEventAttributes;
      const completedDrain = events.find(
        (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
      )?.activityTaskCompletedEventAttributes;
      assert.equal(startedDrain?.identity, b.identity, 'the drain attempt that finished ran on worker B');
      assert.ok((startedDrain?.attempt ?? 0) >= 2, `attempt ${startedDrain?.attempt}: the first one was on worker A`);
      assert.equal(completedDrain?.identity, b.identity, 'worker B completed the drain');
      const parent = (await handle.fetchHistory()).events ?? [];
      const tasksBy = (identity: string) =>
        parent.filter((e) => e.workflowTaskCompletedEventAttributes?.identity === identity).length;
      assert.ok(tasksBy(a.identity) > 0, 'worker A ran the upgrade before it was killed');
      assert.ok(tasksBy(b.identity) > 0, 'worker B ran it after');
    } finally {
      await killWorker(a);
      await killWorker(b);
    }
  });
});
