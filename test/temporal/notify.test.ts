/**
 * What the upgrade workflow tells, on the real dev server with mocked activities (no cluster): the
 * notifications of a failed gate (gate-failed, then paused with why) and of the end, the GateFailed
 * Event on the gated node beside each node's own Events; notifications sent before a continue-as-new
 * and at the end all delivered, once; none sent for a cluster whose webhooks want nothing.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import type { NodeEventRequest } from '../../activities/kube/events.js';
import { Failure } from '../../model/errors.js';
import { METRICS } from '../../model/metrics.js';
import { type Notification, NOTIFY_EVENTS, type NotifyEvent } from '../../model/notify.js';
import type { UpgradeStatus } from '../../model/status.js';
import { prometheusMetrics } from '../../worker/metrics.js';
import { quietRuntime } from '../../worker/worker.js';
import { failureType } from '../../workflows/cause.js';
import { mockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness, uniqueQueue, until } from '../support/temporal.js';

const world = mockWorld(['cp-0'], ['w-0', 'w-1'], 0, { gateFailsFrom: 2 }); // the gate after cp-0 fails
const sent: Notification[] = [];
const events: NodeEventRequest[] = [];
let wanted: NotifyEvent[] = [...NOTIFY_EVENTS];
/** the upgrade holding the cluster's lock, if another one does */
let holder: string | undefined;
const activities: Partial<Activities> = {
  ...world.activities,
  acquireCluster: async (input) => {
    if (holder)
      throw ApplicationFailure.nonRetryable(`cluster c is being upgraded by ${holder}`, Failure.ClusterLocked);
    return await world.activities.acquireCluster!(input);
  },
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

/** The worker's metrics, as Prometheus scrapes them (the Runtime's exporter on a free port). */
let scrape: () => Promise<string>;

let h: Harness;
before(async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  quietRuntime('WARN', { metrics: prometheusMetrics(`127.0.0.1:${port}`) });
  scrape = async () => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  h = await harness(activities, 'notify');
});
after(async () => await closeHarness(h));
beforeEach(() => {
  world.reset();
  sent.length = 0;
  events.length = 0;
  wanted = [...NOTIFY_EVENTS];
  holder = undefined;
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

  it('a start refused because another upgrade holds the lock: no failed told or counted', async () => {
    world.heal();
    holder = 'upgrade-c-holder';
    const handle = await start();
    await assert.rejects(handle.result(), (err: unknown) => failureType(err) === Failure.ClusterLocked);
    await new Promise((r) => setTimeout(r, 2_000)); // a notification's child would have run by now
    assert.deepEqual(
      sent.map((n) => n.event),
      [],
      'the cluster is being upgraded: no "failed" for the start it refused',
    );
    const lines = (await scrape()).split('\n');
    const series = (name: string, ...labels: string[]) =>
      lines.filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
    assert.deepEqual(series(METRICS.upgradesEnded.name, 'cluster="c"', 'outcome="failed"'), [], 'no failed upgrade');
    const phases = series(METRICS.phase.name, `upgrade_id="${handle.workflowId}"`);
    assert.ok(phases.length > 0, 'its phase gauges were set');
    assert.deepEqual(
      phases.filter((l) => !l.endsWith(' 0')),
      [],
      'a refused start is in no phase',
    );
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
