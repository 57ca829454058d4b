/** The upgrade's state: each named transition, and what the status derives from it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { details } from '../../workflows/rolling-upgrade/display.js';
import { versions } from '../../workflows/rolling-upgrade/record.js';
import { unreachableText } from '../../workflows/rolling-upgrade/status.js';
import { type Carried, Upgrade } from '../../workflows/rolling-upgrade/state.js';
import { plannedUpgrade } from '../support/upgrade-state.js';

const gate = (healthy: boolean) => ({
  healthy,
  at: '2026-01-01T00:00:00Z',
  checks: [{ name: 'nodes', ok: healthy, detail: healthy ? 'all Ready' : 'w-1 NotReady' }],
});

describe('upgrade state', () => {
  it('derives the cluster status from the phase', () => {
    const u = new Upgrade('upgrade-c', 'c', 't');
    assert.equal(u.view().clusterStatus, 'VALIDATING');
    const started = plannedUpgrade(['a']);
    assert.deepEqual([started.view().phase, started.view().clusterStatus], ['upgrading', 'UPDATE_IN_PROGRESS']);
    started.pause('freeze');
    assert.equal(started.view().phase, 'upgrading', 'a pause waits for the next safe point');
    started.hold();
    assert.deepEqual(
      [started.view().phase, started.view().clusterStatus, started.view().pausedReason],
      ['paused', 'UPDATE_PAUSED', 'paused by the operator: freeze'],
    );
    started.resume();
    started.proceed();
    assert.deepEqual([started.view().phase, started.view().pausedReason], ['upgrading', undefined]);
    started.complete();
    assert.equal(started.view().clusterStatus, 'UPDATE_COMPLETE');
  });

  it('a refusal before the start is no failed cluster update; a failure after it is', () => {
    const refused = new Upgrade('upgrade-c', 'c', 't');
    refused.fail('unknown cluster "c"');
    assert.deepEqual([refused.view().phase, refused.view().clusterStatus], ['failed', 'VALIDATING']);
    assert.deepEqual(refused.view().errors, ['unknown cluster "c"']);
    const failed = plannedUpgrade(['a']);
    failed.fail('node a: replace failed');
    assert.deepEqual([failed.view().phase, failed.view().clusterStatus], ['failed', 'UPDATE_FAILED']);
    const aborted = plannedUpgrade(['a']);
    aborted.aborted();
    assert.equal(aborted.view().clusterStatus, 'UPDATE_ABORTED');
  });

  it('a blocked drain shows as paused until resume retries it', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'b', seq: 1, step: 'blocked', podsLeft: 1 });
    const v = u.view();
    assert.deepEqual([v.phase, v.clusterStatus], ['paused', 'UPDATE_PAUSED']);
    assert.match(v.pausedReason ?? '', /^drain blocked on b: waiting for an operator/);
    assert.deepEqual(u.resume(), ['b']);
    assert.equal(u.view().nodes[1]?.step, 'drain');
    assert.deepEqual([u.view().phase, u.view().pausedReason], ['upgrading', undefined]);
  });

  it('an operator decision moves the blocked node on', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'a', seq: 1, step: 'blocked' });
    u.report({ name: 'b', seq: 1, step: 'blocked' });
    u.decide('a', 'skip');
    u.decide('b', 'force');
    assert.deepEqual(
      u.view().nodes.map((n) => n.step),
      ['uncordon', 'drain'],
    );
  });

  it('a failed gate asks for a pause naming the failed checks', () => {
    const u = plannedUpgrade(['a']);
    assert.equal(u.gated(gate(false)), false);
    u.gateFailed('node a');
    u.hold();
    assert.equal(u.view().pausedReason, 'health gate failed after node a: nodes: w-1 NotReady');
    assert.equal(u.gated(gate(true)), true);
  });

  it('waits for a window with the opening in its reason, and only then', () => {
    const u = plannedUpgrade(['a']);
    u.waitForWindow('Sat 02:00 UTC', 'Sat 02:00-06:00 UTC');
    assert.equal(u.view().phase, 'waiting-for-window');
    assert.equal(u.view().pausedReason, 'waiting for maintenance window until Sat 02:00 UTC');
    assert.deepEqual(u.view().window, { waitingUntil: 'Sat 02:00 UTC', spec: 'Sat 02:00-06:00 UTC' });
    u.proceed();
    assert.deepEqual([u.view().window, u.view().pausedReason], [undefined, undefined]);
  });

  it('records an abort once, whatever the number of requests', () => {
    const u = plannedUpgrade(['a']);
    u.abort('test');
    u.abort('again');
    assert.equal(u.isAbortRequested, true);
    assert.deepEqual(u.view().errors, ['abort requested: test']);
  });

  it('carries nodes, pause, abort and errors to the next run', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'a', seq: 4, step: 'done', version: 'v1.12.7' });
    u.pause();
    u.abort();
    const carried = JSON.parse(JSON.stringify(u.carry()));
    const next = Upgrade.continued('upgrade-c', 'c', carried);
    const v = next.view();
    assert.deepEqual([v.phase, v.clusterStatus, v.done, v.remaining], ['upgrading', 'UPDATE_IN_PROGRESS', 1, 1]);
    assert.equal(next.pauseRequested, 'paused by the operator');
    assert.equal(next.isAbortRequested, true);
    assert.deepEqual(v.errors, ['abort requested by the operator']);
    assert.equal(v.toVersion, 'v1.12.7');
    next.report({ name: 'a', seq: 3, step: 'drain' });
    assert.equal(next.view().nodes[0]?.step, 'done', 'sequence numbers survive the hand-over');
  });

  it('refuses a payload of another shape instead of starting over with no nodes', () => {
    const old = { status: { phase: 'upgrading', nodes: [] }, pauseReason: 'paused by the operator', valid: {} };
    assert.throws(
      () => Upgrade.continued('upgrade-c', 'c', old as unknown as Carried),
      /continued with a payload this build cannot read/,
    );
  });

  it('names each node with its version for the record, and the nodes upgraded', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'a', seq: 1, step: 'done', version: 'v1.12.7', replacedBy: 'a-v1-12-7' });
    u.report({ name: 'b', seq: 1, step: 'failed', cordoned: true });
    assert.equal(versions(u.view()), 'a → a-v1-12-7=v1.12.7, b=v1.11.9 (CORDONED)');
    assert.deepEqual(u.upgraded(), ['a-v1-12-7']);
  });
  it('says while the API server is unreachable, from the first failed attempt, and health is not HEALTHY', () => {
    const u = plannedUpgrade(['a']);
    u.gated(gate(true));
    assert.equal(u.view().health, 'HEALTHY');
    u.unreachable({ since: '2026-11-30T03:12:09.123Z', attempt: 2, message: 'connect ECONNREFUSED' });
    u.unreachable({ since: '2026-11-30T03:12:20.000Z', attempt: 4, message: 'connect ECONNREFUSED' });
    const v = u.view();
    assert.equal(v.health, 'UNREACHABLE');
    assert.deepEqual(v.unreachable, { since: '2026-11-30T03:12:09.123Z', attempt: 4, message: 'connect ECONNREFUSED' });
    assert.equal(unreachableText(v), 'API server of c unreachable since 03:12:09 UTC, attempt 4: connect ECONNREFUSED');
    assert.match(details(v), /API server of c unreachable since 03:12:09 UTC/);
    u.reachable();
    assert.deepEqual([u.view().health, u.view().unreachable], ['HEALTHY', undefined]);
  });

  it('adds nodes that joined: at the target version done, at another pending; known and surge nodes ignored', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'b', seq: 1, step: 'done', replacedBy: 'b-v1-12-7' });
    const state = (name: string, kubeletVersion: string) => ({
      name,
      role: 'worker' as const,
      kubeletVersion,
      ready: true,
      unschedulable: false,
    });
    const fresh = u.joined([
      state('a', 'v1.11.9'),
      state('b-v1-12-7', 'v1.12.7'),
      state('new-old', 'v1.11.9'),
      state('new-new', 'v1.12.7'),
    ]);
    assert.deepEqual(fresh, ['new-old']);
    assert.deepEqual(
      u.view().nodes.map((n) => [n.name, n.step]),
      [
        ['a', 'pending'],
        ['b', 'done'],
        ['new-old', 'pending'],
        ['new-new', 'done'],
      ],
    );
    assert.deepEqual(u.joined([state('new-old', 'v1.11.9')]), [], 'joined once only');
  });

  it('parks a failed replacement: paused, named, and only retryReplace or skipNode apply', () => {
    const u = plannedUpgrade(['a', 'b']);
    u.report({ name: 'a', seq: 1, step: 'replace-failed', cordoned: true, detail: 'exit 3' });
    const v = u.view();
    assert.equal(v.phase, 'paused');
    assert.match(v.pausedReason ?? '', /replacement failed on a \(left cordoned\).*retryReplace, skipNode or abort/);
    assert.deepEqual(
      u.parked().map((n) => n.name),
      ['a'],
    );
    assert.deepEqual(u.blocked(), [], 'resume does not retry a replacement');
    u.decide('a', 'retry-replace');
    assert.equal(u.node('a')?.step, 'replace');
  });

  it('keeps every forced deletion, node by node, in the status', () => {
    const u = plannedUpgrade(['a', 'b']);
    const d = (pod: string, node: string) => ({
      pod,
      node,
      at: '2026-11-30T03:00:00Z',
      decision: 'forceDrain by the operator',
    });
    u.report({ name: 'a', seq: 1, deleted: [d('default/x', 'a')] });
    u.report({ name: 'b', seq: 1, deleted: [d('default/y', 'b'), d('default/z', 'b')] });
    assert.deepEqual(
      u.view().forcedDeletions.map((x) => x.pod),
      ['default/x', 'default/y', 'default/z'],
    );
    // A report overtaken by a newer one (signals may arrive out of order) still adds its deletions.
    u.report({ name: 'a', seq: 3, step: 'replace' });
    u.report({ name: 'a', seq: 2, step: 'drain', deleted: [d('default/x', 'a'), d('default/w', 'a')] });
    assert.equal(u.node('a')?.step, 'replace');
    assert.deepEqual(
      u.node('a')?.deleted?.map((x) => x.pod),
      ['default/x', 'default/w'],
    );
  });
});
