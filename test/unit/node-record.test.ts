/**
 * The upgrade's record on a node and what restoring makes of it (pure functions, no cluster): a cordon
 * is recorded only when the upgrade made it; restore undoes only what the record lists and removes the
 * upgrade's annotations; a replacement registers the node as it was (others' labels, annotations and
 * taints kept); recover keeps a node of unknown state cordoned and words the record honestly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import {
  CHANGES,
  changesOf,
  CORDONED_BY,
  cordonRecord,
  REPLACEMENT,
  restorePatch,
  snapshotOf,
} from '../../activities/kube/nodes.js';
import { keepReason } from '../../activities/recover.js';
import { describedBy, registration } from '../../activities/replace/kwok.js';
import type { ClusterRecord } from '../../model/record.js';
import { recoveredRecord, type RecoveredNode } from '../../model/recovery.js';
import { checkRecover } from '../../workflows/upgrade-plan/recover.js';

function node(over: {
  unschedulable?: boolean;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: { key: string; effect: string; value?: string }[];
  ready?: boolean;
  version?: string;
}): V1Node {
  return {
    metadata: {
      name: 'n1',
      resourceVersion: '42',
      labels: over.labels ?? { 'kubernetes.io/hostname': 'n1' },
      annotations: over.annotations,
    },
    spec: { unschedulable: over.unschedulable, taints: over.taints },
    status: {
      conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
      nodeInfo: { kubeletVersion: over.version ?? 'v1.11.9' } as NonNullable<V1Node['status']>['nodeInfo'],
      addresses: [{ type: 'Hostname', address: 'n1' }],
      capacity: { cpu: '4' },
    },
  };
}

const ours = (upgrade = 'up-1', changes: object = { cordoned: true, taints: [], labels: [] }) => ({
  [CORDONED_BY]: upgrade,
  [CHANGES]: JSON.stringify(changes),
});

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

describe('recover', () => {
  it('keeps cordoned a node not Ready, or whose replacement started and is not at its version', () => {
    assert.equal(keepReason(node({ unschedulable: true, annotations: ours() })), undefined);
    assert.match(keepReason(node({ ready: false, annotations: ours() })) ?? '', /^not Ready at v1.11.9$/);
    assert.match(
      keepReason(node({ annotations: { ...ours(), [REPLACEMENT]: 'up-1/n1/v1.12.7' } })) ?? '',
      /^its replacement to v1.12.7 started \(up-1\/n1\/v1.12.7\) and it reports v1.11.9$/,
    );
    assert.equal(
      keepReason(node({ version: 'v1.12.7', annotations: { ...ours(), [REPLACEMENT]: 'up-1/n1/v1.12.7' } })),
      undefined,
    );
  });

  const record: ClusterRecord = {
    cluster: 'c',
    status: 'UPDATE_IN_PROGRESS',
    status_reason: 'upgrading to T2',
    template: 'T1',
    coe_version: 'v1.11.9',
    workflow_id: 'up-1',
    target_template: 'T2',
    updated_at: '',
  };
  const n = (name: string, version: string, action: RecoveredNode['action'] = 'untouched'): RecoveredNode => ({
    name,
    role: 'worker',
    version,
    ready: true,
    unschedulable: action === 'kept',
    action,
    detail: action === 'kept' ? 'not Ready' : '',
  });
  const target = { template: 'T2', version: 'v1.12.7' };

  it('turns an unfinished upgrade with nodes at both versions into UPDATE_FAILED, saying which runs which', () => {
    const patch = recoveredRecord(
      record,
      [n('a', 'v1.12.7'), n('b', 'v1.11.9', 'restored'), n('c', 'v1.11.9')],
      target,
    );
    assert.equal(patch?.status, 'UPDATE_FAILED');
    assert.equal(patch?.template, undefined, 'the template stays');
    assert.equal(
      patch?.status_reason,
      'recovered by the operator: nodes 1 at v1.12.7 (a), 2 at v1.11.9 (b, c); before: UPDATE_IN_PROGRESS: upgrading to T2',
    );
    assert.deepEqual(patch?.left_cordoned, []);
  });
  it('records the target template when every node runs it, Ready', () => {
    const patch = recoveredRecord(
      { ...record, status: 'UPDATE_FAILED', status_reason: 'gate' },
      [n('a', 'v1.12.7')],
      target,
    );
    assert.equal(patch?.status, 'UPDATE_COMPLETE');
    assert.equal(patch?.template, 'T2');
    assert.equal(patch?.coe_version, 'v1.12.7');
    assert.equal(patch?.target_template, null);
    assert.match(
      patch?.status_reason ?? '',
      /every node runs v1.12.7 .*health gates did not all run.*; before: UPDATE_FAILED: gate$/,
    );
  });
  it('keeps UPDATE_ABORTED, names nodes left cordoned, and quotes the first reason on a second recovery', () => {
    const nodes = [n('a', 'v1.12.7'), n('b', 'v1.11.9', 'kept')];
    const first = recoveredRecord({ ...record, status: 'UPDATE_ABORTED', status_reason: 'aborted' }, nodes, target);
    assert.equal(first?.status, 'UPDATE_ABORTED');
    assert.match(first?.status_reason ?? '', /; LEFT CORDONED: b \(not Ready\); before: UPDATE_ABORTED: aborted$/);
    assert.deepEqual(first?.left_cordoned, ['b']);
    const again = recoveredRecord(
      { ...record, status: 'UPDATE_ABORTED', status_reason: first?.status_reason ?? '' },
      nodes,
      target,
    );
    assert.equal(again?.status_reason, first?.status_reason);
  });
  it("leaves a finished record alone when no node carries an upgrade's record", () => {
    assert.equal(recoveredRecord({ ...record, status: 'UPDATE_COMPLETE' }, [n('a', 'v1.12.7')]), undefined);
  });
  it('checks its input, naming every problem', () => {
    assert.deepEqual(checkRecover({ cluster: 'c', upgradeId: null }), { cluster: 'c', upgradeId: null });
    assert.throws(
      () => checkRecover({ cluster: '', extra: 1 }),
      /invalid recover input: "cluster" must be a non-empty string; "upgradeId" must be .*; unknown field\(s\): extra/,
    );
    assert.throws(() => checkRecover([]), /"cluster" must be a non-empty string/);
  });
});
