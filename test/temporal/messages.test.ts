/**
 * Malformed operator messages (from `temporal workflow signal --input`, the Web UI or a script): a
 * signal cannot be refused to its sender, so a malformed one changes nothing and the status records it
 * with the reason; a malformed update is refused with a message about its input.
 * Real dev server, mocked activities.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UpgradeStatus } from '../../model/status.js';
import { mockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness, uniqueQueue, until } from '../support/temporal.js';

const { activities } = mockWorld(['cp-0'], ['w-0', 'w-1', 'w-2'], 400);
let h: Harness;
before(async () => {
  h = await harness(activities, 'messages');
});
after(async () => await closeHarness(h));

describe('malformed operator messages', () => {
  it('change nothing, are recorded with the reason, and updates say what input they take', async () => {
    const handle = await h.client.workflow.start('rollingUpgrade', {
      taskQueue: h.taskQueue,
      workflowId: uniqueQueue('messages-upgrade'),
      args: [{ cluster: 'c', template: 't' }],
    });
    await until(handle, 'the upgrade to start', (s) => s.phase === 'upgrading');
    await handle.signal('pause', 'garbage');
    await handle.signal('pause', [1, 2]);
    await handle.signal('pause', { reason: 42 });
    await handle.signal('abort', { why: 'x' });
    await handle.signal('resume', 7);
    const s = await until(handle, 'five refusals', (x) => x.rejected.length === 5);
    assert.deepEqual(s.rejected, [
      'refused: pause takes no input or {"reason": "..."}, not "garbage"',
      'refused: pause takes no input or {"reason": "..."}, not [1,2]',
      'refused: pause takes no input or {"reason": "..."}, not {"reason":42}',
      'refused: abort takes no input or {"reason": "..."}, not {"why":"x"}',
      'refused: resume takes no input or {"reason": "..."}, not 7',
    ]);
    assert.equal(s.abortRequested, false);
    assert.deepEqual(s.errors, []);
    const desc = await handle.describe();
    assert.ok(desc.status.name === 'RUNNING');

    await assert.rejects(handle.executeUpdate('retryDrain', { args: ['garbage' as never] }), (err: Error) =>
      /retryDrain takes \{"node": NAME, "timeoutSeconds": N \(optional\)\}, not "garbage"/.test(
        String((err.cause as Error | undefined)?.message),
      ),
    );
    await assert.rejects(
      handle.executeUpdate('skipNode', { args: [{ node: 'w-0', extra: 1 } as never] }),
      (err: Error) =>
        /skipNode takes \{"node": NAME\}, not \{"node":"w-0","extra":1\}/.test(
          String((err.cause as Error | undefined)?.message),
        ),
    );
    await assert.rejects(handle.executeUpdate('forceDrain', { args: [{ node: 'no-such-node' }] }), (err: Error) =>
      /node "no-such-node" is not part of this upgrade/.test(String((err.cause as Error | undefined)?.message)),
    );

    await handle.signal('pause', { reason: 'well formed' });
    const paused = await until(handle, 'the pause', (x) => x.phase === 'paused');
    assert.equal(paused.pausedReason, 'paused by the operator: well formed');
    await handle.signal('abort');
    const final = (await handle.result()) as UpgradeStatus;
    assert.equal(final.phase, 'aborted');
    assert.equal(final.rejected.length, 5);
  });
});
