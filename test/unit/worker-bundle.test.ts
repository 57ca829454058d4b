/** The worker's --workflow-bundle flag refuses a file that is not there, before it connects anywhere. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('worker --workflow-bundle', () => {
  it('names a missing bundle and how to make one', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'worker/main.ts', '--workflow-bundle', '/nonexistent/bundle.js'],
      // an address nothing answers on: the check must come first
      { cwd: root, encoding: 'utf8', env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, timeout: 60_000 },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      /workflow bundle \/nonexistent\/bundle\.js does not exist \(make it with `npm run bundle`\)/,
    );
  });
});
