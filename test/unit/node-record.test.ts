/**
 * The upgrade's record on a node and what restoring makes of it (pure functions, no cluster): a cordon
 * is recorded only when the upgrade made it; restore undoes only what the record lists and removes the
 * upgrade's annotations, each write made against the node as read; a replacement registers the node
 * as it was (others' labels, annotations and taints kept).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException, type V1Node } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { Kube } from '../../activities/kube/client.js';
import {
  CHANGES,
  changesOf,
  CORDONED_BY,
  cordon,
  cordonRecord,
  REPLACE_RUN,
  REPLACEMENT,
  restore,
  restorePatch,
  snapshotOf,
} from '../../activities/kube/nodes.js';
import { describedBy, registration } from '../../activities/replace/kwok.js';
import { Failure } from '../../model/errors.js';
import { node, ours } from '../support/node-fixture.js';

describe('cordonRecord', () => {
  it('records a cordon of a schedulable node', () => {
    const record = cordonRecord(node({}), 'up-1');
    assert.deepEqual(record, ours());
  });
  it('records nothing for a node someone else cordoned: it stays theirs', () => {
    assert.equal(cordonRecord(node({ unschedulable: true }), 'up-1'), undefined);
  });
  it("takes over an earlier upgrade's cordon, keeping what it recorded", () => {
    const before = ours('up-0', { cordoned: true, taints: [{ key: 't', effect: 'NoSchedule' }], labels: ['l'] });
    const record = cordonRecord(node({ unschedulable: true, annotations: before }), 'up-1');
    assert.equal(record?.[CORDONED_BY], 'up-1');
    assert.deepEqual(JSON.parse(record?.[CHANGES] ?? ''), {
      cordoned: true,
      taints: [{ key: 't', effect: 'NoSchedule' }],
      labels: ['l'],
    });
  });
});

describe('changesOf and snapshotOf', () => {
  it('reads no record on a node the upgrade never touched', () => {
    assert.equal(changesOf(node({ annotations: { other: 'x' } })), undefined);
  });
  it("reads a bare cordoned-by (an older worker's record, or a record edited by hand) as a cordon", () => {
    assert.deepEqual(changesOf(node({ annotations: { [CORDONED_BY]: 'up-0' } })), {
      cordoned: true,
      taints: [],
      labels: [],
    });
    assert.deepEqual(
      changesOf(node({ annotations: { [CORDONED_BY]: 'up-0', [CHANGES]: '{not json' } }))?.cordoned,
      true,
    );
  });
  it("counts an earlier upgrade's cordon as schedulable before, an operator's as cordoned", () => {
    assert.equal(snapshotOf(node({ unschedulable: true, annotations: ours() })).unschedulable, false);
    assert.equal(snapshotOf(node({ unschedulable: true })).unschedulable, true);
  });
});

describe('restorePatch', () => {
  it('uncordons a node the upgrade cordoned and removes its annotations, guarded by the version read', () => {
    const r = restorePatch(node({ unschedulable: true, annotations: { ...ours(), [REPLACEMENT]: 'k', other: 'x' } }));
    assert.deepEqual(r?.patch, {
      metadata: { resourceVersion: '42', annotations: { [CORDONED_BY]: null, [CHANGES]: null, [REPLACEMENT]: null } },
      spec: { unschedulable: null },
    });
    assert.deepEqual(r?.undone, ['uncordoned']);
  });
  it("leaves others' taints and labels, removes only those the record lists", () => {
    const taints = [
      { key: 'ours', effect: 'NoSchedule' },
      { key: 'ours', effect: 'NoExecute' },
      { key: 'node-problem-detector/KernelDeadlock', effect: 'NoSchedule' },
    ];
    const r = restorePatch(
      node({
        unschedulable: true,
        taints,
        labels: { mine: '1', operator: '2' },
        annotations: ours('up-1', {
          cordoned: true,
          taints: [{ key: 'ours', effect: 'NoSchedule' }],
          labels: ['mine', 'gone'],
        }),
      }),
    );
    assert.deepEqual(r?.patch, {
      metadata: {
        resourceVersion: '42',
        annotations: { [CORDONED_BY]: null, [CHANGES]: null },
        labels: { mine: null },
      },
      spec: { unschedulable: null, taints: [taints[1], taints[2]] },
    });
    assert.deepEqual(r?.undone, ['uncordoned', 'taint ours:NoSchedule removed', 'label mine removed']);
  });
  it('does not uncordon a node it did not cordon, and has nothing to do on a node without its record', () => {
    const r = restorePatch(node({ unschedulable: true, annotations: { [REPLACEMENT]: 'k' } }));
    assert.deepEqual(r?.patch, { metadata: { resourceVersion: '42', annotations: { [REPLACEMENT]: null } } });
    assert.equal(restorePatch(node({ unschedulable: true })), undefined);
  });
  it('removes only the annotations on a node someone else uncordoned meanwhile', () => {
    const r = restorePatch(node({ annotations: ours() }));
    assert.equal((r?.patch as { spec?: unknown }).spec, undefined);
    assert.deepEqual(r?.undone, []);
  });
});

/** A cluster of one node whose reads return `versions` in turn; patches made on a stale version get 409. */
function fakeKube(versions: (V1Node | undefined)[]) {
  const patches: { resourceVersion?: string; body: object }[] = [];
  let read = 0;
  const current = () => versions[Math.min(read, versions.length) - 1];
  const kube = {
    cluster: 'c',
    core: {
      readNode: async () => {
        read++;
        const n = current();
        if (!n) throw new ApiException(404, 'not found', '{}', {});
        return n;
      },
      patchNode: async ({ body }: { body: { metadata?: { resourceVersion?: string } } }) => {
        patches.push({ resourceVersion: body.metadata?.resourceVersion, body });
        // the node changes after every read but the last
        if (read < versions.length) throw new ApiException(409, 'conflict', '{}', {});
        return current();
      },
    },
  } as unknown as Kube;
  return { kube, patches };
}

const version = (n: V1Node, resourceVersion: string): V1Node => ({
  ...n,
  metadata: { ...n.metadata, resourceVersion },
});

describe('writes against the node as read', () => {
  it('reads the node again when it changed before the write (409), and writes against the new version', async () => {
    const cordoned = node({ unschedulable: true, annotations: ours() });
    const { kube, patches } = fakeKube([version(cordoned, '1'), version(cordoned, '2')]);
    assert.deepEqual(await restore(kube, { name: 'n1' }), { restored: true, undone: ['uncordoned'] });
    assert.deepEqual(
      patches.map((p) => p.resourceVersion),
      ['1', '2'],
    );
  });
  it('gives up after five conflicts with a retryable failure', async () => {
    const cordoned = node({ unschedulable: true, annotations: ours() });
    const { kube } = fakeKube(Array.from({ length: 7 }, (_, i) => version(cordoned, String(i))));
    await assert.rejects(
      restore(kube, { name: 'n1' }),
      (err: unknown) =>
        err instanceof ApplicationFailure && !err.nonRetryable && /changed under each of 5 writes/.test(err.message),
    );
  });
  it('says NodeNotFound (non-retryable) for a node that is gone, and writes nothing twice', async () => {
    const gone = fakeKube([undefined]);
    await assert.rejects(
      restore(gone.kube, { name: 'n1' }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === Failure.NodeNotFound && err.nonRetryable,
    );
    const done = fakeKube([node({ unschedulable: true, annotations: ours() })]);
    assert.deepEqual(await cordon(done.kube, 'n1', 'up-1'), { cordoned: true });
    assert.equal(done.patches.length, 0, 'already cordoned by this upgrade: nothing to write');
    const theirs = fakeKube([node({ unschedulable: true })]);
    assert.deepEqual(await cordon(theirs.kube, 'n1', 'up-1'), { cordoned: false });
    assert.equal(theirs.patches.length, 0, "the operator's cordon is left as it is");
  });
});

describe('putting back a node whose state is unknown', () => {
  // Upgrade up-1's replacement of n1 to v1.12.7 failed; up-2 took over the cordon, then aborted.
  const run = { key: 'up-1/n1/v1.12.7', run: 'r1', activity: 'a', attempt: 1, host: 'w1', startedAt: '' };
  const failed = { ...ours('up-2'), [REPLACEMENT]: run.key, [REPLACE_RUN]: JSON.stringify({ ...run, exit: '1' }) };
  const keeps = async (n: V1Node, reason: RegExp) => {
    const { kube, patches } = fakeKube([n]);
    const r = await restore(kube, { name: 'n1' });
    assert.equal(r.restored, false);
    assert.deepEqual(r.undone, []);
    assert.match(r.kept ?? '', reason);
    assert.equal(patches.length, 0, 'nothing written: cordoned, the record (replacement, replace-run) kept');
  };
  it("keeps cordoned a node an earlier upgrade's replacement left below its version", async () => {
    await keeps(
      node({ unschedulable: true, annotations: failed }),
      /^its replacement to v1.12.7 started \(up-1\/n1\/v1.12.7\) and it reports v1.11.9$/,
    );
  });
  it('keeps cordoned a node at the target and Ready whose replacement command has no recorded end', async () => {
    const running = { ...failed, [REPLACE_RUN]: JSON.stringify(run) };
    await keeps(node({ unschedulable: true, version: 'v1.12.7', annotations: running }), /has no recorded end/);
  });
  it('keeps cordoned a node that is not Ready', async () => {
    await keeps(node({ unschedulable: true, ready: false, annotations: ours() }), /^not Ready at v1.11.9$/);
  });
  it("keeps a node the caller's guard names, reading it in the step that would write it", async () => {
    const { kube, patches } = fakeKube([node({ unschedulable: true, annotations: ours('other') })]);
    const seen: string[] = [];
    const guard = (n: V1Node) => (seen.push(n.metadata?.resourceVersion ?? ''), 'cordoned by another upgrade');
    assert.deepEqual(await restore(kube, { name: 'n1' }, guard), {
      restored: false,
      undone: [],
      kept: 'cordoned by another upgrade',
    });
    assert.deepEqual(seen, ['42']);
    assert.equal(patches.length, 0);
  });
  it("puts back a node Ready at its replacement's version whose command ended, removing the run's record", async () => {
    const { kube, patches } = fakeKube([node({ unschedulable: true, version: 'v1.12.7', annotations: failed })]);
    assert.deepEqual(await restore(kube, { name: 'n1' }), { restored: true, undone: ['uncordoned'] });
    assert.deepEqual(patches[0]?.body, {
      metadata: {
        resourceVersion: '42',
        annotations: { [CORDONED_BY]: null, [CHANGES]: null, [REPLACEMENT]: null, [REPLACE_RUN]: null },
      },
      spec: { unschedulable: null },
    });
  });
  it('has nothing to keep on a node without the record, whatever its state', async () => {
    const { kube, patches } = fakeKube([node({ unschedulable: true, ready: false })]);
    assert.deepEqual(await restore(kube, { name: 'n1' }), { restored: true, undone: [] });
    assert.equal(patches.length, 0);
  });
});

describe('kwok registration', () => {
  const taints = [
    { key: 'operator/maintenance', effect: 'NoSchedule', value: 'x' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    { key: 'node.cloudprovider.kubernetes.io/uninitialized', effect: 'NoSchedule', value: 'true' },
  ];
  it("registers the node as it is: labels, annotations and taints (but the controllers'), cordoned and marked", () => {
    const old = node({ unschedulable: true, taints, labels: { a: '1' }, annotations: { ...ours(), note: 'hi' } });
    const fresh = registration(old, 'v1.12.7', 'up-1');
    assert.deepEqual(fresh.metadata?.labels, { a: '1' });
    assert.deepEqual(fresh.metadata?.annotations, { ...ours(), note: 'hi', [REPLACEMENT]: 'up-1/n1/v1.12.7' });
    assert.deepEqual(fresh.spec?.taints, [taints[0], taints[3]]);
    assert.equal(fresh.spec?.unschedulable, true);
    assert.equal(fresh.status?.nodeInfo?.kubeletVersion, 'v1.12.7');
  });
  it("keeps an operator's cordon the operator's: registered cordoned without the upgrade's cordon record", () => {
    const fresh = registration(node({ unschedulable: true }), 'v1.12.7', 'up-1');
    assert.equal(fresh.spec?.unschedulable, true);
    assert.equal(fresh.metadata?.annotations?.[CORDONED_BY], undefined);
  });
  it('registers a node already gone from its snapshot, recording the cordon the upgrade had made', () => {
    const snapshot = snapshotOf(node({ taints: [taints[0]!] }));
    const fresh = registration(describedBy(snapshot), 'v1.12.7', 'up-1');
    assert.deepEqual(fresh.metadata?.annotations, { ...ours(), [REPLACEMENT]: 'up-1/n1/v1.12.7' });
    assert.deepEqual(fresh.spec?.taints, [taints[0]]);
  });
});
