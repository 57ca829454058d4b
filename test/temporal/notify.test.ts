/**
 * What the upgrade workflow tells, on the real dev server with mocked activities (no cluster): the
 * notifications of a failed gate (gate-failed, then paused with why) and of the end, the GateFailed
 * Event on the gated node beside each node's own Events; notifications sent before a continue-as-new
 * and at the end all delivered, once; none sent for a cluster whose webhooks want nothing.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Activities } from '../../activities/index.js';
import type { NodeEventRequest } from '../../activities/kube/events.js';
import { type Notification, NOTIFY_EVENTS, type NotifyEvent } from '../../model/notify.js';
import type { UpgradeStatus } from '../../model/status.js';
import { mockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness, uniqueQueue, until } from '../support/temporal.js';

const world = mockWorld(['cp-0'], ['w-0', 'w-1'], 0, { gateFailsFrom: 2 }); // the gate after cp-0 fails
const sent: Notification[] = [];
const events: NodeEventRequest[] = [];
let wanted: NotifyEvent[] = [...NOTIFY_EVENTS];
const activities: Partial<Activities> = {
  ...world.activities,
  webhooks: async () => (wanted.length > 0 ? [{ index: 0, label: 'webhook 1 (test, json)', events: wanted }] : []),
  sendWebhook: async ({ notification }) => {
    sent.push(notification);
    return 'webhook 1 (test, json): HTTP 200';
  },
  nodeEvent: async (request) => {
    events.push(request);
    return { event: request.node, count: 1 };
  },
};

let h: Harness;
before(async () => {
  h = await harness(activities, 'notify');
});
after(async () => await closeHarness(h));
beforeEach(() => {
  world.reset();
  sent.length = 0;
  events.length = 0;
  wanted = [...NOTIFY_EVENTS];
});

async function start(extra: Record<string, unknown> = {}) {
  return await h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId: uniqueQueue('notify-upgrade'),
    args: [{ cluster: 'c', template: 't', ...extra }],
  });
}

async function told(event: NotifyEvent, timeoutMs = 15_000): Promise<Notification> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sent.find((n) => n.event === event);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${event}; sent: ${sent.map((n) => n.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const reasons = (node: string) => events.filter((e) => e.node === node).map((e) => e.reason);

describe('what the upgrade tells', () => {
  it('a failed gate: gate-failed with its checks, paused with why, GateFailed on the node; then completed', async () => {
    const handle = await start();
    await until(handle, 'paused by the gate', (s) => s.phase === 'paused', 30_000);
    const gate = await told('gate-failed');
    assert.equal(
      gate.message,
      'health gate failed after node cp-0: nodes-ready: w-0 is NotReady; the upgrade pauses until resumed',
    );
    assert.deepEqual(gate.details, {
      after: 'node cp-0',
      nodes: ['cp-0'],
      checks: [{ name: 'nodes-ready', detail: 'w-0 is NotReady' }],
    });
    assert.deepEqual(
      [gate.cluster, gate.upgradeId, gate.fromVersion, gate.toVersion],
      ['c', handle.workflowId, 'v1.11.9', 'v1.12.7'],
    );
    const paused = await told('paused');
    assert.equal(
      paused.message,
      `paused: ${gate.message.replace('; the upgrade pauses until resumed', '')}; resume or abort`,
    );
    assert.deepEqual(reasons('cp-0'), ['Cordoned', 'Draining', 'Replacing', 'Replaced', 'Uncordoned', 'GateFailed']);
    const gateEvent = events.find((e) => e.reason === 'GateFailed');
    assert.equal(gateEvent?.detail, gate.message);
    assert.equal(gateEvent?.upgradeId, handle.workflowId);
    assert.equal(gateEvent?.upgradeRun, handle.firstExecutionRunId);

    world.heal();
    await handle.signal('resume');
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'completed');
    await told('completed');
    assert.deepEqual(sent.map((n) => n.event).sort(), ['completed', 'gate-failed', 'paused', 'started']);
    for (const node of ['w-0', 'w-1']) {
      assert.deepEqual(reasons(node), ['Cordoned', 'Draining', 'Replacing', 'Replaced', 'Uncordoned'], node);
      for (const e of events.filter((x) => x.node === node)) {
        assert.deepEqual([e.fromVersion, e.toVersion, e.upgradeId], ['v1.11.9', 'v1.12.7', handle.workflowId]);
      }
    }
  });

  it('delivers what was sent before a continue-as-new and at the end, once each', async () => {
    world.heal();
    const handle = await start({ maxHistoryEvents: 20 });
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'completed');
    assert.notEqual((await handle.describe()).runId, handle.firstExecutionRunId, 'it continued as new');
    await told('completed');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(sent.map((n) => n.event).sort(), ['completed', 'started']);
    assert.equal(sent.find((n) => n.event === 'completed')?.message, '3 node(s) upgraded to v1.12.7');
  });

  it('starts nothing for a cluster whose webhooks want none of it', async () => {
    world.heal();
    wanted = ['failed'];
    const handle = await start();
    assert.equal(((await handle.result()) as UpgradeStatus).phase, 'completed');
    const children = ((await handle.fetchHistory()).events ?? [])
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name)
      .filter(Boolean);
    assert.deepEqual(children, ['nodeUpgrade', 'nodeUpgrade', 'nodeUpgrade'], 'no notification workflow');
    assert.deepEqual(sent, []);
  });
});
