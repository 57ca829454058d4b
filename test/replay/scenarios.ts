/**
 * The paths through `rollingUpgrade` and `nodeUpgrade` that the replay fixtures cover, one scenario
 * each: a simulated cluster (nodes and faults), the upgrade's options, what the operator does while it
 * runs (signals, updates), how it ends, how many histories it leaves, and what proves the path was
 * taken. run.ts runs and checks them: test/temporal/scenarios.test.ts on every test run, record.ts when
 * it records the fixtures; test/replay/replay.test.ts checks that each has its files.
 */
import assert from 'node:assert/strict';
import { until } from '../support/temporal.js';
import { signalledDuringTimer } from './histories.js';
import {
  allUpgraded,
  blockedThen,
  dailyWindow,
  live,
  nextMinute,
  restored,
  type Scenario,
  step,
  TARGET,
  WAIT_MS,
} from './scenario.js';

export type { Scenario } from './scenario.js';

export const SCENARIOS: Scenario[] = [
  {
    name: 'full-upgrade',
    covers: 'control plane one at a time, then workers in batches of maxUnavailable 2; gates pass; completed',
    masters: ['cp-0', 'cp-1'],
    workers: ['w-0', 'w-1', 'w-2'],
    options: { maxUnavailable: 2 },
    outcome: 'completed',
    children: 5,
    check: (u) => {
      allUpgraded(u);
      assert.deepEqual(
        u.world.cordoned.slice(0, 2).map((c) => c.node),
        ['cp-0', 'cp-1'],
      );
    },
  },
  {
    name: 'pause-resume',
    covers: 'pause during a drain: the node finishes, the upgrade pauses before the next; resume completes it',
    faults: { holdDrain: ['w-0'] },
    drive: async (u) => {
      await step(u, 'w-0', 'drain');
      await u.handle.signal('pause', { reason: 'fixture' });
      u.world.release('w-0');
      const paused = await until(u.handle, 'the pause', (s) => s.phase === 'paused', WAIT_MS);
      assert.equal(paused.nodes.find((n) => n.name === 'w-0')?.step, 'done');
      assert.ok(!u.world.calls.includes('cordonNode w-1'), 'nothing cordoned while paused');
      await u.handle.signal('resume');
    },
    outcome: 'completed',
    children: 3,
    sends: ['pause', 'resume'],
    check: (u) => allUpgraded(u),
  },
  {
    name: 'abort-during-drain',
    covers: 'abort while a drain runs: the drain is cancelled, the node restored (compensation); aborted',
    faults: { holdDrain: ['w-0'] },
    options: { drainTimeoutSeconds: 300 },
    drive: async (u) => {
      await step(u, 'w-0', 'drain');
      await u.handle.signal('abort', { reason: 'fixture' });
    },
    outcome: 'aborted',
    sends: ['abort'],
    children: 2,
    check: (u, final) => restored(u, final, 'w-0', 'restored'),
  },
  {
    name: 'blocked-budget-resume',
    covers: 'a drain refused by a budget until its timeout parks the node and pauses; budget fixed, resume retries it',
    faults: { budgetBlocks: ['w-0'] },
    options: { drainTimeoutSeconds: 5 },
    drive: blockedThen(async (u) => {
      u.world.unblock('w-0');
      await u.handle.signal('resume');
    }),
    outcome: 'completed',
    sends: ['resume'],
    children: 3,
    check: (u) => allUpgraded(u),
  },
  {
    name: 'retry-drain',
    covers: 'update retryDrain (with a new timeout) on a blocked drain; completed',
    faults: { budgetBlocks: ['w-0'] },
    drive: blockedThen(async (u) => {
      u.world.unblock('w-0');
      await u.handle.executeUpdate('retryDrain', { args: [{ node: 'w-0', timeoutSeconds: 30 }] });
    }),
    outcome: 'completed',
    children: 3,
    sends: ['retryDrain'],
    check: (u) => allUpgraded(u),
  },
  {
    name: 'force-drain',
    covers: 'update forceDrain on a blocked drain: its pods deleted (budgets bypassed); completed',
    faults: { budgetBlocks: ['w-0'] },
    drive: blockedThen((u) => u.handle.executeUpdate('forceDrain', { args: [{ node: 'w-0' }] })),
    outcome: 'completed',
    sends: ['forceDrain'],
    children: 3,
    check: (u) => {
      allUpgraded(u);
      assert.ok(u.world.calls.includes('drainNode w-0 (delete)'));
    },
  },
  {
    name: 'skip-node',
    covers: 'update skipNode on a blocked drain: the node uncordoned at its old version, the rest upgraded',
    faults: { budgetBlocks: ['w-0'] },
    drive: blockedThen((u) => u.handle.executeUpdate('skipNode', { args: [{ node: 'w-0' }] })),
    outcome: 'completed',
    sends: ['skipNode'],
    children: 3,
    check: (u, final) => {
      restored(u, final, 'w-0', 'skipped');
      assert.equal(live(u, 'w-1')?.kubeletVersion, TARGET);
    },
  },
  {
    name: 'drain-timeout-force',
    covers: 'onDrainTimeout "force": a timed-out drain deletes the pods without asking; completed',
    faults: { budgetBlocks: ['w-0'] },
    options: { onDrainTimeout: 'force' },
    outcome: 'completed',
    children: 3,
    check: (u) => {
      allUpgraded(u);
      assert.ok(u.world.calls.includes('drainNode w-0 (delete)'));
    },
  },
  {
    name: 'drain-timeout-abort',
    covers: 'onDrainTimeout "abort": a timed-out drain restores the node and aborts the upgrade',
    faults: { budgetBlocks: ['w-0'] },
    options: { onDrainTimeout: 'abort' },
    outcome: 'aborted',
    children: 2,
    check: (u, final) => restored(u, final, 'w-0', 'restored'),
  },
  {
    name: 'surge',
    covers: 'maxSurge 1: a new node per worker registered and Ready first, the old one drained and retired',
    options: { maxSurge: 1 },
    outcome: 'completed',
    children: 3,
    check: (u, final) => {
      allUpgraded(u);
      assert.deepEqual(
        u.world.world.map((n) => n.name),
        ['cp-0', 'w-0-v1-12-7', 'w-1-v1-12-7'],
      );
      assert.equal(final.nodes.find((n) => n.name === 'w-0')?.replacedBy, 'w-0-v1-12-7');
    },
  },
  {
    name: 'window-wait',
    covers: 'a maintenance window closed at the start: a durable timer until it opens, then the upgrade',
    workers: ['w-0'],
    options: () => ({ windows: [dailyWindow(nextMinute(), 10)] }),
    outcome: 'completed',
    children: 2,
    check: (u, _final, parent) => {
      allUpgraded(u);
      const timer = parent.findIndex((e) => e.timerStartedEventAttributes);
      const child = parent.findIndex((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
      assert.ok(timer >= 0 && timer < child, 'waited on a timer before the first node');
    },
  },
  {
    name: 'continue-as-new',
    covers: 'maxHistoryEvents 20: the upgrade continues as new between nodes, carrying its progress',
    options: { maxHistoryEvents: 20 },
    outcome: 'completed',
    children: 3,
    runs: 2,
    check: (u) => {
      allUpgraded(u);
      assert.deepEqual(
        u.world.cordoned.map((c) => c.node),
        ['cp-0', 'w-0', 'w-1'],
        'each node once',
      );
    },
  },
  {
    name: 'gate-failed-resume',
    covers: 'a health gate fails after a node: the upgrade pauses; resume re-checks the gate, which passes',
    faults: { gateFailsFrom: 2 },
    drive: async (u) => {
      const paused = await until(u.handle, 'the failed gate', (s) => s.phase === 'paused', WAIT_MS);
      assert.match(paused.pausedReason ?? '', /health gate failed/);
      u.world.heal();
      await u.handle.signal('resume');
    },
    outcome: 'completed',
    sends: ['resume'],
    children: 3,
    check: (u) => allUpgraded(u),
  },
  {
    name: 'replace-fails',
    covers:
      'a replacement fails: the node stays cordoned (never restored), parked with the reason; retryReplace completes it',
    faults: { replaceFails: ['w-0'] },
    drive: async (u) => {
      const parked = await step(u, 'w-0', 'replace-failed');
      const n = parked.nodes.find((x) => x.name === 'w-0');
      assert.equal(n?.cordoned, true);
      assert.match(n?.detail ?? '', /exit status 1/);
      assert.match(parked.pausedReason ?? '', /replacement failed on w-0 .*retryReplace/);
      assert.equal(live(u, 'w-0')?.unschedulable, true, 'still cordoned in the cluster');
      assert.ok(!u.world.calls.includes('restoreNode w-0'), 'a failed replacement is not uncordoned');
      await assert.rejects(u.handle.executeUpdate('retryDrain', { args: [{ node: 'w-0' }] }), (err: Error) =>
        /node w-0 is not blocked \(it is at step replace-failed\)/.test(String((err.cause as Error)?.message)),
      );
      u.world.repair('w-0');
      await u.handle.executeUpdate('retryReplace', { args: [{ node: 'w-0' }] });
    },
    outcome: 'completed',
    sends: ['retryReplace'],
    children: 3,
    check: (u) => {
      allUpgraded(u);
      assert.equal(u.world.calls.filter((c) => c === 'replaceNode w-0').length, 2);
    },
  },
  {
    name: 'smoke-fails-resume',
    covers:
      "a node's smoke pod never becomes Ready: the upgrade pauses naming it (the node stays upgraded and uncordoned); resume runs the pod again and completes",
    faults: { smokeFails: ['w-0'] },
    drive: async (u) => {
      const parked = await step(u, 'w-0', 'smoke-failed');
      assert.equal(parked.phase, 'paused');
      assert.equal(parked.clusterStatus, 'UPDATE_PAUSED');
      assert.match(parked.pausedReason ?? '', /smoke pod never Ready on w-0: .*not Ready within 60 s.*resume/);
      assert.equal(parked.nodes.find((n) => n.name === 'w-0')?.smoke?.ok, false);
      assert.deepEqual([live(u, 'w-0')?.kubeletVersion, live(u, 'w-0')?.unschedulable], [TARGET, false]);
      assert.ok(!u.world.calls.includes('cordonNode w-1'), 'the next node waits');
      u.world.smokeReady('w-0');
      await u.handle.signal('resume');
    },
    outcome: 'completed',
    sends: ['resume'],
    children: 3,
    check: (u, final) => {
      allUpgraded(u);
      assert.equal(u.world.calls.filter((c) => c === 'smokePod w-0').length, 2);
      assert.equal(final.nodes.find((n) => n.name === 'w-0')?.smoke?.ok, true);
      assert.match(final.nodes.find((n) => n.name === 'w-0')?.detail ?? '', /smoke pod Ready/);
    },
  },
  {
    name: 'replace-fails-skip',
    covers: 'a replacement fails; skipNode goes on without it and it stays cordoned, named in the status',
    faults: { replaceFails: ['w-0'] },
    drive: async (u) => {
      await step(u, 'w-0', 'replace-failed');
      await u.handle.executeUpdate('skipNode', { args: [{ node: 'w-0' }] });
    },
    outcome: 'completed',
    sends: ['skipNode'],
    children: 3,
    check: (u, final) => {
      const n = final.nodes.find((x) => x.name === 'w-0');
      assert.deepEqual([n?.step, n?.cordoned], ['skipped', true]);
      assert.match(n?.detail ?? '', /LEFT CORDONED/);
      assert.equal(live(u, 'w-0')?.unschedulable, true);
      assert.equal(live(u, 'w-1')?.kubeletVersion, TARGET);
    },
  },
  {
    name: 'replace-fails-abort',
    covers: 'a replacement fails; abort ends the upgrade and the node stays cordoned (UPDATE_ABORTED)',
    faults: { replaceFails: ['w-0'] },
    drive: async (u) => {
      await step(u, 'w-0', 'replace-failed');
      await u.handle.signal('abort', { reason: 'fixture' });
    },
    outcome: 'aborted',
    sends: ['abort'],
    children: 2,
    check: (u, final) => {
      const n = final.nodes.find((x) => x.name === 'w-0');
      assert.deepEqual([n?.step, n?.cordoned], ['failed', true]);
      assert.equal(live(u, 'w-0')?.unschedulable, true);
      assert.ok(!u.world.calls.includes('restoreNode w-0'));
      assert.ok(!u.world.calls.includes('cordonNode w-1'));
    },
  },
  {
    name: 'cancel-during-drain',
    covers: 'a cancellation (Web UI, temporal workflow cancel) during a drain is an abort: the node is restored',
    faults: { holdDrain: ['w-0'] },
    drive: async (u) => {
      await step(u, 'w-0', 'drain');
      await u.handle.cancel();
    },
    outcome: 'aborted',
    children: 2,
    check: (u, final) => {
      restored(u, final, 'w-0', 'restored');
      assert.equal(final.clusterStatus, 'UPDATE_ABORTED');
    },
  },
  {
    name: 'nodes-come-and-go',
    covers: 'a node deleted mid-upgrade is reported gone; one that joins at the old version gets a final batch',
    faults: { holdDrain: ['cp-0'] },
    drive: async (u) => {
      await step(u, 'cp-0', 'drain');
      u.world.remove('w-1');
      u.world.join('w-9');
      u.world.release('cp-0');
    },
    outcome: 'completed',
    children: 4,
    check: (u, final) => {
      assert.equal(final.nodes.find((n) => n.name === 'w-1')?.step, 'gone');
      assert.deepEqual(
        final.nodes.map((n) => n.name),
        ['cp-0', 'w-0', 'w-1', 'w-9'],
      );
      allUpgraded(u);
    },
  },
  {
    name: 'abort-during-soak',
    covers: 'abort while soaking after a node: no further node is started; aborted',
    options: { soakSeconds: 3 },
    drive: async (u) => {
      await until(u.handle, 'the first node done', (s) => s.done >= 1, WAIT_MS);
      await u.handle.signal('abort', { reason: 'fixture' });
    },
    outcome: 'aborted',
    sends: ['abort'],
    children: 1,
    check: (u, _final, parent) => {
      assert.ok(signalledDuringTimer(parent, 'abort'), 'the abort came during the soak');
      assert.deepEqual(
        u.world.cordoned.map((c) => c.node),
        ['cp-0'],
      );
    },
  },
  {
    name: 'abort-during-window',
    covers: 'abort while waiting for a maintenance window: nothing touched; aborted',
    options: () => ({ windows: [dailyWindow(nextMinute() + 3 * 3600_000, 1)] }),
    drive: async (u) => {
      await until(u.handle, 'the window wait', (s) => s.phase === 'waiting-for-window', WAIT_MS);
      await u.handle.signal('abort', { reason: 'fixture' });
    },
    outcome: 'aborted',
    sends: ['abort'],
    children: 0,
    check: (u, _final, parent) => {
      assert.ok(signalledDuringTimer(parent, 'abort'), 'the abort came during the window wait');
      assert.deepEqual(u.world.cordoned, []);
    },
  },
];
