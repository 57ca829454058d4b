/**
 * Every stuck upgrade has a way back, on the real cluster: a cancellation (the Web UI's, `temporal
 * workflow cancel`) behaves like an abort; an abort interrupts a soak and a running gate at once; a
 * node deleted mid-upgrade is reported gone, one that joins at the old version is upgraded at the end.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { kubectl } from '../../localcluster/cluster.js';
import { nodeManifest, nodeNames } from '../../localcluster/nodes.js';
import type { UpgradeStatus } from '../../model/status.js';
import {
  closeHarness,
  cluster,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
  clusterRecord,
} from './support.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

const { workers } = nodeNames(cluster.layout);
const JOINER = `${CLUSTER}-zcuuaiib6nqt-minion-9`;

async function nothingCordoned(): Promise<void> {
  assert.deepEqual(
    (await nodes()).filter((n) => n.unschedulable).map((n) => n.name),
    [],
    'no node left cordoned',
  );
}

describe('a way back from everything', () => {
  it('treats a cancellation as an abort: the node is restored and the record says UPDATE_ABORTED', async () => {
    setBudget(2); // the first drain blocks for good
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 5 });
    const blocked = await until(handle, 'a blocked drain', (s) => s.nodes.some((n) => n.step === 'blocked'), 120_000);
    const node = blocked.nodes.find((n) => n.step === 'blocked')?.name ?? '';
    await handle.cancel();
    await assert.rejects(
      resultWithin(handle, 60_000),
      (err: Error) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
    );
    const s = await handle.query<UpgradeStatus>('status');
    assert.equal(s.phase, 'aborted');
    assert.equal(s.clusterStatus, 'UPDATE_ABORTED');
    assert.equal(s.nodes.find((n) => n.name === node)?.step, 'restored');
    assert.equal((await clusterRecord()).status, 'UPDATE_ABORTED');
    await nothingCordoned();
  });

  it('interrupts a soak at once when aborted', async () => {
    const handle = await startUpgrade(h, { soakSeconds: 900 });
    await until(handle, 'the first node done, soaking', (s) => s.done >= 1 && s.current.length === 0, 120_000);
    const asked = Date.now();
    await handle.signal('abort', { reason: 'soak interrupted' });
    const final = await resultWithin(handle, 30_000);
    assert.ok(Date.now() - asked < 20_000, `aborted within ${Date.now() - asked} ms, not after the 900 s soak`);
    assert.equal(final.phase, 'aborted');
    assert.equal((await clusterRecord()).status, 'UPDATE_ABORTED');
    await nothingCordoned();
  });

  describe('with a probe that fails after the first node', () => {
    let server: Server;
    let failing = false;
    before(async () => {
      server = createServer((_, res) => {
        res.writeHead(failing ? 503 : 200).end(failing ? 'down' : 'ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => server.close());

    it('interrupts a running gate when aborted', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const handle = await startUpgrade(h, {
        gateTimeoutSeconds: 900,
        probes: [{ url, successes: 1, intervalMs: 200 }],
      });
      await until(handle, 'the first node being drained', (s) => s.nodes.some((n) => n.step === 'drain'), 120_000);
      failing = true; // every gate from now on waits for the probe, up to 900 s
      await until(handle, 'the first node done, gating', (s) => s.done >= 1 && s.current.length === 0, 120_000);
      const asked = Date.now();
      await handle.signal('abort', { reason: 'gate interrupted' });
      const final = await resultWithin(handle, 30_000);
      assert.ok(Date.now() - asked < 20_000, `aborted within ${Date.now() - asked} ms, not after the 900 s gate`);
      assert.equal(final.phase, 'aborted');
      assert.equal((await clusterRecord()).status, 'UPDATE_ABORTED');
      await nothingCordoned();
    });
  });
});

describe('nodes that come and go', () => {
  afterEach(() => {
    kubectl(cluster, ['delete', 'node', JOINER, '--ignore-not-found', '--wait=false']);
  });

  it('reports a deleted node as gone and upgrades one that joined at the old version in a final batch', async () => {
    const leaving = workers.at(-1) ?? '';
    const handle = await startUpgrade(h);
    await until(handle, 'the first node cordoned', (s) => s.nodes.some((n) => n.cordoned), 120_000);
    // An autoscaler removes a worker not yet upgraded and adds one at the old version.
    kubectl(cluster, ['delete', 'node', leaving, '--wait=false']);
    kubectl(cluster, ['create', '-f', '-'], JSON.stringify(nodeManifest(JOINER, 'worker', 'v1.11.9', 9)));
    const final = await resultWithin(handle, 300_000);
    assert.equal(final.phase, 'completed', JSON.stringify(final.errors));
    const gone = final.nodes.find((n) => n.name === leaving);
    assert.equal(gone?.step, 'gone', `the deleted node: ${JSON.stringify(gone)}`);
    const joined = final.nodes.find((n) => n.name === JOINER);
    assert.equal(joined?.step, 'done', `the joined node: ${JSON.stringify(joined)}`);
    assert.equal(joined?.version, 'v1.12.7');
    assert.equal(final.nodes.at(-1)?.name, JOINER, 'the joined node came last, after the planned ones');
    const live = await nodes();
    assert.equal(live.find((n) => n.name === JOINER)?.kubeletVersion, 'v1.12.7', 'the joined node was upgraded');
    assert.equal(
      live.some((n) => n.name === leaving),
      false,
      'the deleted node was not registered again',
    );
    const r = await clusterRecord();
    assert.equal(r.status, 'UPDATE_COMPLETE');
    assert.equal(r.coe_version, 'v1.12.7', `a gone node does not make the upgrade partial: ${r.status_reason}`);
    await nothingCordoned();
  });
});
