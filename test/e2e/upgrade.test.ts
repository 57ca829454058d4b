/**
 * The seed's upgrade end to end on the real local cluster (3 control-plane + 3 worker nodes) with a
 * real worker on the real Temporal dev server: the full run with an independent availability
 * watcher, pause/resume, abort during a drain, and a budget that can never allow an eviction.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { watchAvailability } from '../../localcluster/availability.js';
import {
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  kube,
  kubeconfig,
  nginxNodes,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
  TARGET,
  until,
  clusterRecord,
} from './support.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

describe('rolling upgrade end to end', () => {
  it('upgrades every node, control plane first, without a single interruption', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig());
    const availability = await watchAvailability(config, {
      namespace: 'default',
      selector: 'app=nginx',
      service: 'nginx-service',
      minAvailable: 1,
    });
    const handle = await startUpgrade(h);
    const final = await resultWithin(handle);
    await availability.stop();

    assert.equal(final.phase, 'completed');
    assert.equal(final.clusterStatus, 'UPDATE_COMPLETE');
    for (const n of await nodes()) {
      assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
      assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
      assert.equal(n.ready, true, n.name);
    }
    const children = ((await handle.fetchHistory()).events ?? [])
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
      .filter((id): id is string => Boolean(id));
    assert.equal(children.length, 6);
    assert.ok(
      children.slice(0, 3).every((id) => id.includes('-master-')),
      `control plane first: ${children.join(', ')}`,
    );
    const r = await clusterRecord();
    assert.equal(r.status, 'UPDATE_COMPLETE');
    assert.equal(r.template, TARGET);
    assert.equal(r.coe_version, 'v1.12.7');
    assert.ok(availability.checks > 10, `the watcher saw ${availability.checks} events`);
    assert.equal(availability.failed, 0, availability.failures.join('\n'));
  });

  it('pauses after the first node and cordons nothing more until resumed', async () => {
    const handle = await startUpgrade(h);
    await until(
      handle,
      'the first node to start',
      (s) => s.nodes.some((n) => n.step !== 'pending' && n.step !== 'done') || s.done > 0,
    );
    await handle.signal('pause', { reason: 'e2e' });
    const paused = await until(handle, 'the pause', (s) => s.phase === 'paused');
    assert.ok(paused.done >= 1, 'the node in progress finished first');
    assert.equal(paused.clusterStatus, 'UPDATE_PAUSED');
    for (let i = 0; i < 10; i++) {
      const cordoned = (await nodes()).filter((n) => n.unschedulable);
      assert.deepEqual(cordoned, [], 'no node is cordoned while paused');
      await sleep(300);
    }
    assert.equal((await until(handle, 'still paused', () => true)).done, paused.done);
    await handle.signal('resume');
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
  });

  it('aborts during a drain: the node is uncordoned and the status lists each version', async () => {
    setBudget(2); // the drain of a node with an nginx pod now waits on the budget
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 300 });
    const withNginx = await nginxNodes();
    const draining = await until(
      handle,
      'a drain in progress',
      (s) => s.nodes.some((n) => n.step === 'drain' && withNginx.includes(n.name)),
      120_000,
    );
    const node = draining.nodes.find((n) => n.step === 'drain' && withNginx.includes(n.name))?.name ?? '';
    await sleep(1500); // evictions are being refused now
    await handle.signal('abort', { reason: 'e2e' });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'aborted');
    assert.equal(final.clusterStatus, 'UPDATE_ABORTED');
    const live = await nodes();
    assert.deepEqual(
      live.filter((n) => n.unschedulable).map((n) => n.name),
      [],
      'no node left cordoned',
    );
    assert.equal(live.find((n) => n.name === node)?.kubeletVersion, 'v1.11.9');
    const r = await clusterRecord();
    assert.equal(r.status, 'UPDATE_ABORTED');
    for (const n of live)
      assert.ok(r.status_reason.includes(`${n.name}=${n.kubeletVersion}`), `${n.name} in ${r.status_reason}`);
  });

  it('parks a drain blocked by a budget, names it, and completes after the fix and resume', async () => {
    setBudget(2); // minAvailable == replicas: no eviction can ever be allowed
    // Where the nginx pods run before (both replicas may share a node: nothing spreads them).
    const nginxBefore = await nginxNodes();
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 5 });
    const blocked = await until(
      handle,
      'the blocked drain',
      (s) => s.phase === 'paused' && s.nodes.some((n) => n.step === 'blocked'),
      120_000,
    );
    const node = blocked.nodes.find((n) => n.step === 'blocked');
    assert.ok(node);
    assert.ok(node.cordoned);
    assert.ok(
      (node.blocked ?? []).some(
        (b) => b.reason === 'budget' && b.budget === 'default/nginx-pdb' && /nginx-deployment-/.test(b.pod),
      ),
      JSON.stringify(node.blocked),
    );
    assert.match(blocked.pausedReason ?? '', /drain blocked/);
    // Nothing was forced: every nginx pod that ran on the node is still there.
    const pods = await kube().core.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${node.name}`,
      labelSelector: 'app=nginx',
    });
    assert.ok(pods.items.length >= 1);
    assert.equal(pods.items.length, nginxBefore.filter((n) => n === node.name).length);
    setBudget(1);
    await handle.signal('resume');
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
    assert.ok((await nodes()).every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable));
  });
});
