/**
 * The Kubernetes behaviour the upgrade relies on, proven against the real local cluster: the Eviction
 * API honours PodDisruptionBudgets, cordoned nodes get no new pods, and a drain leaves DaemonSet pods
 * alone and stops early on pods only an operator can decide about.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { seed } from '../../localcluster/cluster.js';
import type { Kube } from '../../activities/kube/client.js';
import { drainNode } from '../../activities/kube/drain.js';
import { planDrain } from '../../activities/kube/drain-plan.js';
import { cordon, readNode, restore, snapshotOf } from '../../activities/kube/nodes.js';
import {
  NAMESPACE,
  WORKERS,
  hooks,
  isReady,
  kube,
  nginxPods,
  nginxSettled,
  pods,
  scaleNginx,
  waitFor,
} from './support.js';

let k: Kube;
before(async () => {
  await seed();
  k = kube();
});
after(async () => {
  await seed();
});

const evict = (name: string) =>
  k.core.createNamespacedPodEviction({
    name,
    namespace: NAMESPACE,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NAMESPACE } },
  });

/** Cordons `node` for the duration of `fn`, then puts back the state it had before. */
async function whileCordoned<T>(node: string, fn: () => Promise<T>): Promise<T> {
  const before = await readNode(k, node);
  assert.ok(before, `node ${node} exists`);
  await cordon(k, node, 'eviction-test');
  try {
    return await fn();
  } finally {
    await restore(k, snapshotOf(before));
  }
}

describe('Eviction API and PodDisruptionBudget (nginx-pdb minAvailable 1)', () => {
  it('evicting both nginx pods at once: one goes, the other is refused with 429 until its replacement is Ready', async () => {
    const originals = (await nginxSettled(k)).map((p) => p.metadata!.name!);
    assert.equal(originals.length, 2);

    // Both at once: the budget allows one disruption, so the apiserver admits exactly one.
    const results = await Promise.allSettled(originals.map(evict));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ name: originals[i]!, err: r.reason as unknown }] : [],
    );
    assert.equal(admitted.length, 1, 'exactly one eviction is admitted');
    assert.equal(refused.length, 1, 'exactly one eviction is refused');
    const [{ name: blocked, err }] = refused as [{ name: string; err: unknown }];
    assert.ok(err instanceof ApiException, `refused with an API error, got ${String(err)}`);
    assert.equal(err.code, 429, 'a budget refusal is HTTP 429 Too Many Requests');

    // Retried, it is admitted only once a replacement (not one of the originals) is Ready again.
    await waitFor('the refused eviction to be admitted', 60_000, async () => {
      try {
        await evict(blocked);
      } catch (e) {
        if (e instanceof ApiException && e.code === 429) return false;
        throw e;
      }
      const ready = (await nginxPods(k)).filter((p) => isReady(p) && !originals.includes(p.metadata!.name!));
      assert.ok(ready.length >= 1, 'when the second eviction is admitted, a replacement nginx pod is Ready');
      return true;
    });
    await nginxSettled(k);
  });

  it('a cordoned node receives no new pods while the others do', async () => {
    const node = WORKERS[0]!;
    const before = new Set((await nginxSettled(k)).map((p) => p.metadata!.name!));
    const created = await whileCordoned(node, async () => {
      try {
        await scaleNginx(k, 6);
        // Wait until the scheduler has placed all four new pods, then look where they went.
        return await waitFor('4 new nginx pods scheduled', 60_000, async () => {
          const fresh = (await nginxPods(k)).filter((p) => !before.has(p.metadata!.name!));
          return fresh.length === 4 && fresh.every((p) => p.spec?.nodeName) && fresh;
        });
      } finally {
        await scaleNginx(k, 2);
      }
    });
    const places = created.map((p) => p.spec!.nodeName!);
    assert.ok(!places.includes(node), `no new pod on the cordoned ${node}; placed on ${places.join(', ')}`);
    assert.ok(
      places.every((n) => WORKERS.includes(n)),
      'the new pods went to the other (untainted) workers',
    );
    await nginxSettled(k);
  });
});

describe('drain', () => {
  it('evicts the nginx pods and leaves the DaemonSet pod on the node', async () => {
    const node = (await nginxSettled(k))[0]!.spec!.nodeName!;
    const agentOn = async () =>
      (await pods(k, 'app=node-agent', 'kube-system')).filter(
        (p) => p.spec?.nodeName === node && !p.metadata?.deletionTimestamp,
      );
    const [agent] = await waitFor(`the node-agent pod on ${node}`, 60_000, async () => {
      const found = await agentOn();
      return found.length === 1 && found;
    });

    await whileCordoned(node, async () => {
      const result = await drainNode(
        k,
        { node, deadline: Date.now() + 60_000, deleteEmptyDirData: false, force: false },
        hooks,
      );
      assert.equal(result.drained, true, JSON.stringify(result.blocked));
      const agentRef = `kube-system/${agent!.metadata!.name}`;
      assert.ok(
        result.skipped.some((s) => s.startsWith(`${agentRef}:`) && s.includes('DaemonSet')),
        `skipped names ${agentRef} as DaemonSet-managed: ${JSON.stringify(result.skipped)}`,
      );
      assert.deepEqual(
        (await agentOn()).map((p) => p.metadata!.uid),
        [agent!.metadata!.uid],
        'the same node-agent pod is still there',
      );
      const nginxLeft = (await nginxPods(k)).filter((p) => p.spec?.nodeName === node);
      assert.deepEqual(
        nginxLeft.map((p) => p.metadata!.name),
        [],
        'no nginx pod is left on the drained node',
      );
    });
    await nginxSettled(k);
  });

  it('planDrain refuses unmanaged pods and emptyDir pods unless told otherwise', () => {
    const owned = {
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }],
    };
    const bare: V1Pod = { metadata: { namespace: 'default', name: 'bare' }, spec: { containers: [] } };
    const scratch: V1Pod = {
      metadata: { namespace: 'default', name: 'scratch', ...owned },
      spec: { containers: [], volumes: [{ name: 'tmp', emptyDir: {} }] },
    };
    const strict = planDrain([bare, scratch], { deleteEmptyDirData: false, force: false });
    assert.deepEqual(
      strict.refused.map((r) => [r.pod, r.reason]),
      [
        ['default/bare', 'unmanaged'],
        ['default/scratch', 'local-storage'],
      ],
    );
    assert.equal(strict.evict.length, 0);

    const emptyDirOk = planDrain([bare, scratch], { deleteEmptyDirData: true, force: false });
    assert.deepEqual(
      emptyDirOk.refused.map((r) => r.pod),
      ['default/bare'],
      'the unmanaged pod is still refused',
    );
    assert.deepEqual(
      emptyDirOk.evict.map((p) => p.metadata?.name),
      ['scratch'],
    );

    assert.deepEqual(
      planDrain([bare, scratch], { deleteEmptyDirData: false, force: true }).evict.length,
      2,
      'force evicts both',
    );
  });

  it('stops before its deadline, naming the unmanaged and emptyDir pods that block it', async () => {
    const node = WORKERS[2]!;
    const bare = (name: string, volumes?: { name: string; emptyDir: object }[]): V1Pod => ({
      metadata: { name, namespace: NAMESPACE, labels: { app: 'drain-test' } },
      spec: {
        nodeName: node,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'c', image: 'busybox:1.36' }],
        volumes,
      },
    });
    await k.core.createNamespacedPod({ namespace: NAMESPACE, body: bare('drain-test-bare') });
    await k.core.createNamespacedPod({
      namespace: NAMESPACE,
      body: bare('drain-test-scratch', [{ name: 'tmp', emptyDir: {} }]),
    });
    try {
      await whileCordoned(node, async () => {
        const deadline = Date.now() + 120_000;
        const result = await drainNode(k, { node, deadline, deleteEmptyDirData: false, force: false }, hooks);
        assert.ok(Date.now() < deadline, 'the drain gave up without waiting for its deadline');
        assert.equal(result.drained, false);
        const reasons = Object.fromEntries(result.blocked.map((b) => [b.pod, b.reason]));
        assert.equal(reasons['default/drain-test-bare'], 'unmanaged');
        assert.equal(reasons['default/drain-test-scratch'], 'local-storage');
        // Nothing was forced: both pods are still there.
        const left = (await pods(k, 'app=drain-test')).filter((p) => !p.metadata?.deletionTimestamp);
        assert.deepEqual(left.map((p) => p.metadata!.name).sort(), ['drain-test-bare', 'drain-test-scratch']);
      });
    } finally {
      for (const name of ['drain-test-bare', 'drain-test-scratch']) {
        await k.core.deleteNamespacedPod({ name, namespace: NAMESPACE, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
      await waitFor('the bare pods gone', 30_000, async () => (await pods(k, 'app=drain-test')).length === 0);
    }
    await nginxSettled(k);
  });
});
