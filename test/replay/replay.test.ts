/**
 * Determinism guard: histories recorded from real e2e runs (test/fixtures/histories, re-recorded with
 * UPDATE_FIXTURES=1 npm test -- test/e2e/upgrade.test.ts) are replayed against the current workflow
 * code. A change that would break running upgrades fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { quietRuntime, WORKFLOWS_PATH } from '../../worker/worker.js';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded upgrade histories', () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 4, `only ${files.length} histories in ${dir}`);
  });
  it('replays every one without nondeterminism', async () => {
    quietRuntime('WARN');
    // Files are named <case>--<workflow id>.json: replay needs the id the history was recorded with.
    const histories = files.map((f) => ({
      workflowId: f.replace(/^.*?--/, '').replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(dir + f, 'utf8')),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
