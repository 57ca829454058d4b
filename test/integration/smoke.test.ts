/**
 * The smoke pod activity against the real API server: a retry after a dead attempt starts clean (the
 * pod the dead attempt left is deleted, whatever its name), a cancellation mid-wait still deletes the
 * pod, and a missing namespace is named. A node deleted while its pod runs is gone (not a failed
 * check), and a pod of the same name made meanwhile by a later attempt is left alone.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { runSmokePod, SMOKE_NODE_LABEL, smokePodName, smokePodSpec } from '../../activities/kube/smoke.js';
import { tolerationsFor } from '../../activities/kube/smoke-report.js';
import { Failure } from '../../model/errors.js';
import { SMOKE_DEFAULTS } from '../../model/smoke.js';
import { hooks, kube, waitFor, WORKERS } from './support.js';

const NAMESPACE = SMOKE_DEFAULTS.namespace;
const node = WORKERS[0] ?? '';
const settings = { ...SMOKE_DEFAULTS, timeoutSeconds: 20 };
const req = { cluster: 'k8s-upgrade-test', node, upgradeId: 'upgrade-smoke-integration' };

const smokePods = async () =>
  (await kube().core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${SMOKE_NODE_LABEL}=${node}` })).items;

describe('the smoke pod activity', () => {
  before(async () => {
    for (const p of await smokePods())
      await kube().core.deleteNamespacedPod({
        namespace: NAMESPACE,
        name: p.metadata?.name ?? '',
        gracePeriodSeconds: 0,
      });
  });

  it('deletes what a dead attempt left (same name or an older upgrade) and runs its own', async () => {
    const same = smokePodName(req.upgradeId, node);
    const older = smokePodName('upgrade-ended-long-ago', node);
    for (const name of [same, older]) {
      await kube().core.createNamespacedPod({ namespace: NAMESPACE, body: smokePodSpec(name, req, settings, []) });
    }
    const beats: unknown[] = [];
    const result = await runSmokePod(kube(), settings, req, { ...hooks, heartbeat: (d) => beats.push(d) });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.pod, `${NAMESPACE}/${same}`);
    assert.ok(beats.length > 0, 'it heartbeats while it waits');
    assert.deepEqual(await smokePods(), [], 'its own pod and the leftovers are gone');
  });

  it('deletes its pod when cancelled while it waits', async () => {
    let created = false;
    const cancelling = {
      heartbeat() {},
      sleep: async () => {
        created = (await smokePods()).length === 1;
        throw new CancelledFailure('cancelled by the test');
      },
    };
    await assert.rejects(runSmokePod(kube(), settings, req, cancelling), CancelledFailure);
    assert.ok(created, 'the pod existed while it waited');
    assert.deepEqual(await smokePods(), []);
  });

  it('says which namespace is missing', async () => {
    await assert.rejects(
      runSmokePod(kube(), { ...settings, namespace: 'no-such-namespace' }, req, hooks),
      /cannot create the smoke pod: namespace no-such-namespace does not exist \(deploy\/rbac.yaml creates it\)/,
    );
  });

  it('is not run when disabled, and says so', async () => {
    const result = await runSmokePod(kube(), { ...settings, enabled: false }, req, hooks);
    assert.deepEqual(
      [result.ok, result.skipped, result.detail],
      [true, 'disabled for the cluster', 'not run: smoke.enabled is false for cluster k8s-upgrade-test'],
    );
    await waitFor('no smoke pod', 1000, async () => (await smokePods()).length === 0);
  });

  it('says the node is gone when it is deleted while its pod runs, at once', async () => {
    const name = `smoke-gone-${Date.now()}`;
    await kube().core.createNode({ body: { metadata: { name } } });
    const gone = { ...req, node: name };
    let sleeps = 0;
    const deleting = {
      heartbeat() {},
      sleep: async () => {
        // the node goes, and the pod garbage collector takes its pod
        if (sleeps++ > 0) return;
        await kube().core.deleteNode({ name });
        await kube().core.deleteNamespacedPod({
          namespace: NAMESPACE,
          name: smokePodName(gone.upgradeId, name),
          gracePeriodSeconds: 0,
        });
      },
    };
    const started = Date.now();
    await assert.rejects(
      runSmokePod(kube(), settings, gone, deleting),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.type === Failure.NodeNotFound &&
        err.nonRetryable &&
        err.message === `node ${name} was deleted while its smoke pod ran`,
    );
    assert.ok(Date.now() - started < 10_000, 'without waiting for the timeout');
  });

  it('leaves alone a pod of the same name that a later attempt made meanwhile', async () => {
    const name = smokePodName(req.upgradeId, node);
    let later: string | undefined;
    const overtaken = {
      heartbeat() {},
      sleep: async () => {
        // this attempt was given up for dead: the next one deleted its pod and runs its own
        // (tolerating the node's taints as the activity's pod does: a NoExecute one would evict it)
        const taints = (await kube().core.readNode({ name: node })).spec?.taints;
        const body = smokePodSpec(name, req, settings, tolerationsFor(taints));
        await kube().core.deleteNamespacedPod({ namespace: NAMESPACE, name, gracePeriodSeconds: 0 });
        const made = await waitFor("the later attempt's pod", 10_000, () =>
          kube()
            .core.createNamespacedPod({ namespace: NAMESPACE, body })
            .catch(() => undefined),
        );
        later = made.metadata?.uid;
        throw new CancelledFailure('cancelled by the test');
      },
    };
    await assert.rejects(runSmokePod(kube(), settings, req, overtaken), CancelledFailure);
    assert.deepEqual(
      (await smokePods()).map((p) => p.metadata?.uid),
      [later],
      "the later attempt's pod is still there",
    );
    await kube().core.deleteNamespacedPod({ namespace: NAMESPACE, name, gracePeriodSeconds: 0 });
    await waitFor('no smoke pod', 5000, async () => (await smokePods()).length === 0);
  });
});
