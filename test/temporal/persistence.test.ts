/**
 * Durability: a workflow started before a dev-server restart is still there, with its history, after
 * it (same SQLite file). Runs a second dev server of its own through scripts/temporal-server.sh.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';

const script = fileURLToPath(new URL('../../scripts/temporal-server.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-temporal-'));
const port = String(17233 + Math.floor(Math.random() * 500));
const serverEnv = { ...process.env, TEMPORAL_PORT: port, TEMPORAL_UI_PORT: '0' };

function server(action: 'start' | 'stop') {
  execFileSync('bash', [script, action, dir], { env: serverEnv, stdio: 'inherit' });
}

after(() => server('stop'));

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

describe('dev server persistence', () => {
  it('keeps a workflow and its history across a restart', async () => {
    server('start');
    const workflowId = `persisted-${port}`;
    const before = await withClient(async (client) => {
      // No worker polls this queue: the workflow stays open with its first events recorded.
      await client.workflow.start('rollingUpgrade', {
        taskQueue: 'nobody-polls-this',
        workflowId,
        args: [{ cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403' }],
      });
      return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    });
    assert.ok(before.length >= 2);
    server('stop');
    server('start');
    await withClient(async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      assert.equal(description.status.name, 'RUNNING');
      const events = (await handle.fetchHistory()).events ?? [];
      assert.equal(events.length, before.length);
      assert.ok(events[0]?.workflowExecutionStartedEventAttributes);
      await handle.terminate('test done');
    });
  });
});
