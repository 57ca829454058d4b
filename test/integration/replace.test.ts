/**
 * The kwok replace provider against the real local cluster: the node object is removed and registered
 * again as a kubelet at the new version would register, keeping its identity (labels, taints) and
 * staying cordoned until the upgrade uncordons it; a second call finds it done and leaves it alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { seed } from '../../localcluster/cluster.js';
import type { Kube } from '../../activities/kube/client.js';
import { CONTROL_PLANE_LABEL, CORDONED_BY, readNode, snapshotOf } from '../../activities/kube/nodes.js';
import { replaceWithKwok } from '../../activities/replace/kwok.js';
import { MASTERS, WORKERS, hooks, kube, waitFor } from './support.js';

const TARGET = 'v1.12.7';
const UPGRADE_ID = 'replace-test';

let k: Kube;
before(async () => {
  await seed();
  k = kube();
});
after(async () => {
  await seed(); // back to six nodes at v1.11.9 for the next file
});

/** Taints the node controllers add on their own (not-ready while registering, unschedulable while cordoned). */
const ours = (n: V1Node) => (n.spec?.taints ?? []).filter((t) => !t.key.startsWith('node.kubernetes.io/'));

async function readyAtTarget(name: string): Promise<V1Node> {
  return await waitFor(`${name} Ready at ${TARGET}`, 60_000, async () => {
    const node = await readNode(k, name);
    const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready && node?.status?.nodeInfo?.kubeletVersion === TARGET && node;
  });
}

/** Replaces `name`, waits until it is back Ready at the target version; returns the node before and after. */
async function replace(name: string): Promise<{ old: V1Node; fresh: V1Node }> {
  const old = await readNode(k, name);
  assert.ok(old, `${name} exists`);
  assert.equal(old.status?.nodeInfo?.kubeletVersion, 'v1.11.9');
  const result = await replaceWithKwok(k, snapshotOf(old), TARGET, UPGRADE_ID, 1, hooks);
  assert.equal(result.replaced, true, result.detail);
  assert.equal(result.node, name);
  return { old, fresh: await readyAtTarget(name) };
}

describe('kwok replace provider', () => {
  it('brings a worker back Ready at the target version, cordoned, with its labels and taints', async () => {
    const { old, fresh } = await replace(WORKERS[1]!);
    assert.notEqual(fresh.metadata?.uid, old.metadata?.uid, 'it is a new Node object (the old one was deleted)');
    assert.equal(
      fresh.spec?.unschedulable,
      true,
      'registered cordoned: the upgrade uncordons it after the Ready check',
    );
    assert.equal(fresh.metadata?.annotations?.[CORDONED_BY], UPGRADE_ID, 'the cordon names the upgrade');
    assert.deepEqual(fresh.metadata?.labels, old.metadata?.labels);
    assert.deepEqual(ours(fresh), ours(old));
    assert.deepEqual(fresh.status?.addresses, old.status?.addresses);
  });

  it('called again for a node already at the target version, does nothing', async () => {
    const name = WORKERS[1]!;
    const before = await readyAtTarget(name); // replaced by the test above
    const node = await readNode(k, name);
    assert.ok(node);
    const again = await replaceWithKwok(k, snapshotOf(node), TARGET, UPGRADE_ID, 1, hooks);
    assert.equal(again.replaced, false, again.detail);
    const after = await readNode(k, name);
    assert.equal(after?.metadata?.uid, before.metadata?.uid, 'the node was not deleted and registered again');
    assert.equal(after?.status?.nodeInfo?.kubeletVersion, TARGET);
  });

  it('keeps a control-plane node its control-plane label and NoSchedule taint', async () => {
    const { old, fresh } = await replace(MASTERS[0]!);
    assert.ok(CONTROL_PLANE_LABEL in (old.metadata?.labels ?? {}), 'the seed marks masters as control plane');
    assert.equal(fresh.metadata?.labels?.[CONTROL_PLANE_LABEL], '');
    assert.ok(
      fresh.spec?.taints?.some((t) => t.key === CONTROL_PLANE_LABEL && t.effect === 'NoSchedule'),
      `the control-plane NoSchedule taint is kept: ${JSON.stringify(fresh.spec?.taints)}`,
    );
    assert.deepEqual(fresh.metadata?.labels, old.metadata?.labels);
    assert.deepEqual(ours(fresh), ours(old));
  });
});
