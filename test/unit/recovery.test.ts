/**
 * `recover`'s decisions (pure functions, no cluster): a node of unknown state (not Ready, or its
 * replacement not at its version) stays cordoned; the record is worded honestly and left startable;
 * the workflow's input is checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepReason, REPLACEMENT } from '../../activities/kube/nodes.js';
import { REPLACE_RUN } from '../../activities/replace/record.js';
import type { ClusterRecord } from '../../model/record.js';
import { recoveredRecord, type RecoveredNode } from '../../model/recovery.js';
import { checkRecover } from '../../workflows/upgrade-plan/recover.js';
import { node, ours } from '../support/node-fixture.js';

describe('recover', () => {
  it('keeps cordoned a node not Ready, whose replacement is not at its version, or whose command may still run', () => {
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
    const run = { key: 'up-1/n1/v1.12.7', run: 'r1', activity: 'a', attempt: 1, host: 'w1', startedAt: '' };
    const marked = { ...ours(), [REPLACEMENT]: run.key };
    assert.match(
      keepReason(node({ version: 'v1.12.7', annotations: { ...marked, [REPLACE_RUN]: JSON.stringify(run) } })) ?? '',
      /^its replacement command \(run r1, up-1\/n1\/v1.12.7, host w1\) has no recorded end: it may still run \(once it surely has ended: kubectl annotate node n1 k8s-rolling-upgrade\/replace-run-\)$/,
    );
    const ended = JSON.stringify({ ...run, exit: '0', endedAt: '' });
    assert.equal(keepReason(node({ version: 'v1.12.7', annotations: { ...marked, [REPLACE_RUN]: ended } })), undefined);
    // What this machine's run files say of a run with no recorded end decides, when they know.
    const unended = node({ version: 'v1.12.7', annotations: { ...marked, [REPLACE_RUN]: JSON.stringify(run) } });
    assert.equal(
      keepReason(unended, () => ({ exit: '0' })),
      undefined,
      'ended here: the node may be put back',
    );
    assert.match(keepReason(unended, () => 'running') ?? '', /still runs on this machine$/);
    assert.match(keepReason(unended, () => 'unknown') ?? '', /has no recorded end: it may still run/);
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
    const seen = { status: 'UPDATE_FAILED', updatedAt: '2026-11-30T05:00:00.000Z' };
    assert.deepEqual(checkRecover({ cluster: 'c', upgradeId: null, ...seen }), {
      cluster: 'c',
      upgradeId: null,
      ...seen,
    });
    assert.throws(
      () => checkRecover({ cluster: '', extra: 1 }),
      /invalid recover input: "cluster" must be a non-empty string; "upgradeId" must be .*; "status" must be the record's status as read .*; "updatedAt" must be the record's updated_at as read; unknown field\(s\): extra/,
    );
    assert.throws(
      () => checkRecover({ cluster: 'c', upgradeId: 'up-1' }),
      /^ApplicationFailure: invalid recover input: "status" must be .*; "updatedAt" must be /,
    );
    assert.throws(() => checkRecover([]), /"cluster" must be a non-empty string/);
  });
});
