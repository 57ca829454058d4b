/**
 * Writing a Node Event against the real API server: the first write creates it (uid, times, reporter),
 * the same write again (a retried activity) changes nothing, another write of the same step counts it
 * (count and lastTimestamp by a patch; under the shipped role too, which cannot read Events), an Event
 * on a node that no longer exists is still written, and a role without `events` is named in the failure.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  EVENT_NAMESPACE,
  EVENT_REPORTER,
  nodeEventFailure,
  type NodeEventRequest,
  writeNodeEvent,
} from '../../activities/kube/events.js';
import { clusterOptions } from '../../localcluster/cluster.js';
import { RBAC, roleWithout, serviceAccountKubeconfig } from '../support/serviceaccount.js';
import { kube, WORKERS } from './support.js';

const request = (extra: Partial<NodeEventRequest> = {}): NodeEventRequest => ({
  node: WORKERS[0] ?? '',
  reason: 'Draining',
  detail: 'draining: evicting its pods (timeout 60 s)',
  upgradeId: `upgrade-${randomUUID().slice(0, 8)}`,
  upgradeRun: randomUUID(),
  fromVersion: 'v1.11.9',
  toVersion: 'v1.12.7',
  ...extra,
});

describe('writeNodeEvent', () => {
  it('creates, ignores a repeated write, counts the step again', async () => {
    const k = kube();
    const req = request();
    const node = await k.core.readNode({ name: req.node });
    const first = await writeNodeEvent(k, req, 'run-1/1', new Date('2026-11-30T03:00:00.000Z'));
    assert.equal(first.count, 1);
    const read = () => k.core.readNamespacedEvent({ name: first.event, namespace: EVENT_NAMESPACE });
    let e = await read();
    assert.equal(e.involvedObject.uid, node.metadata?.uid);
    assert.deepEqual([e.involvedObject.kind, e.involvedObject.name], ['Node', req.node]);
    assert.equal(e.reportingComponent, EVENT_REPORTER);
    assert.equal(e.type, 'Normal');
    assert.equal(e.action, 'Drain');
    assert.equal(e.message, `draining: evicting its pods (timeout 60 s) (upgrade ${req.upgradeId}: v1.11.9 → v1.12.7)`);

    const again = await writeNodeEvent(k, req, 'run-1/1', new Date('2026-11-30T03:00:05.000Z'));
    assert.deepEqual(again, { event: first.event, count: 1 }, 'the retried write is not counted');
    const next = await writeNodeEvent(
      k,
      { ...req, detail: 'draining: deleting its pods (forced)', occurrence: 2 },
      'run-1/7',
      new Date('2026-11-30T03:01:00.000Z'),
    );
    assert.deepEqual(next, { event: first.event, count: 2 });
    e = await read();
    assert.equal(e.count, 2);
    assert.equal(new Date(String(e.lastTimestamp)).toISOString(), '2026-11-30T03:01:00.000Z');
    assert.equal(new Date(String(e.firstTimestamp)).toISOString(), '2026-11-30T03:00:00.000Z');
    assert.match(e.message ?? '', /^draining: deleting its pods \(forced\)/);
  });

  it('counts a repeated step under the shipped role, which has events create and patch only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-events-'));
    const { path } = serviceAccountKubeconfig(clusterOptions(), 'k8s-rolling-upgrade', RBAC, dir);
    const config = new KubeConfig();
    config.loadFromFile(path);
    const shipped = { ...kube(), config, core: config.makeApiClient(CoreV1Api) };
    const req = request({ reason: 'DrainBlocked' });
    const first = await writeNodeEvent(shipped, req, 'run-4/3');
    assert.deepEqual(await writeNodeEvent(shipped, req, 'run-4/3'), first, 'a retried write is not counted');
    assert.deepEqual(await writeNodeEvent(shipped, { ...req, occurrence: 2 }, 'run-4/9'), { ...first, count: 2 });
    const e = await kube().core.readNamespacedEvent({ name: first.event, namespace: EVENT_NAMESPACE });
    assert.equal(e.count, 2);
    assert.equal(e.type, 'Warning');
  });

  it('writes the Event of a node that is gone, without a uid', async () => {
    const k = kube();
    const written = await writeNodeEvent(k, request({ node: 'retired-node-h8', reason: 'Replaced' }), 'run-2/1');
    const e = await k.core.readNamespacedEvent({ name: written.event, namespace: EVENT_NAMESPACE });
    assert.equal(e.involvedObject.name, 'retired-node-h8');
    assert.equal(e.involvedObject.uid, undefined);
  });

  it('fails naming the missing permission under a role without events create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-events-'));
    const account = 'k8s-rolling-upgrade-limited';
    const { path } = serviceAccountKubeconfig(clusterOptions(), account, roleWithout('events', 'create', dir), dir);
    const config = new KubeConfig();
    config.loadFromFile(path);
    const limited = { ...kube(), config, core: config.makeApiClient(CoreV1Api) };
    const req = request({ reason: 'Cordoned' });
    const err = await writeNodeEvent(limited, req, 'run-3/1').then(
      () => assert.fail('written without the permission'),
      (e: unknown) => e,
    );
    assert.match(
      nodeEventFailure(err, req),
      new RegExp(
        `^could not write the Cordoned Event of node ${req.node}: the worker's role may not write Events in namespace default \\(deploy/rbac.yaml: events create, patch\\): events is forbidden: User "system:serviceaccount:kube-system:${account}" cannot create resource "events"`,
      ),
    );
  });
});
