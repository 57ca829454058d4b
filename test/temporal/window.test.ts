/**
 * Maintenance windows in the workflow, on the real dev server with mocked activities (a two-node
 * world, no cluster): an upgrade that reaches a closed window waits on a durable timer, shows
 * "waiting for maintenance window until …", still obeys pause/resume/abort, and continues when the
 * window opens. The window is the next whole minute, so this waits for real (less than 80 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mockWorld } from '../support/mock-activities.js';
import type { UpgradeStatus } from '../../model/status.js';
import { closeHarness, harness, type Harness, uniqueQueue, until } from '../support/temporal.js';

const { cordoned, activities: mocks, reset } = mockWorld(['cp-0'], ['w-0']);

let h: Harness;
before(async () => {
  h = await harness(mocks, 'window');
});
after(async () => await closeHarness(h));

const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

/** A daily window opening at the next whole minute at least 20 s away, lasting 5 minutes. */
function nextWindow(): { spec: string; opens: number } {
  const opens = new Date(Math.ceil((Date.now() + 20_000) / 60_000) * 60_000);
  return { spec: `daily ${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 5 * 60_000))} UTC`, opens: opens.getTime() };
}

async function start(windows: string[]) {
  reset();
  return await h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId: uniqueQueue('window-upgrade'),
    args: [{ cluster: 'c', template: 't', windows }],
  });
}

describe('maintenance windows in the workflow', () => {
  it('waits for a closed window, obeys pause/resume while waiting, and goes on when it opens', async () => {
    const w = nextWindow();
    const handle = await start([w.spec]);
    const waiting = await until(handle, 'waiting for the window', (s) => s.phase === 'waiting-for-window', 15_000);
    assert.match(
      waiting.pausedReason ?? '',
      /^waiting for maintenance window until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(.* UTC\)$/,
    );
    assert.equal(cordoned.length, 0);
    await handle.signal('pause', { reason: 'test' });
    await until(handle, 'paused while waiting', (s) => s.phase === 'paused', 15_000);
    await handle.signal('resume');
    await until(handle, 'waiting again', (s) => s.phase === 'waiting-for-window', 15_000);
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'completed');
    assert.deepEqual(
      cordoned.map((c) => c.node),
      ['cp-0', 'w-0'],
    );
    assert.ok(
      cordoned.every((c) => c.at >= w.opens),
      'no node was touched before the window opened',
    );
  });

  it('aborts while waiting without touching a node', async () => {
    const later = new Date(Date.now() + 2 * 3600_000); // certainly closed now
    const handle = await start([`daily ${hhmm(later)}-${hhmm(new Date(later.getTime() + 60_000))} UTC`]);
    await until(handle, 'waiting', (x) => x.phase === 'waiting-for-window', 15_000);
    await handle.signal('abort');
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'aborted');
    assert.equal(cordoned.length, 0);
  });

  it('refuses an invalid window before anything starts', async () => {
    const handle = await start(['Sat 02:00-06:00 Mars/Olympus']);
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) =>
      /"Mars\/Olympus" is not an IANA time zone/.test(err.cause?.message ?? ''),
    );
    assert.equal(cordoned.length, 0);
  });
});
