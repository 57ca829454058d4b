/** The worker's --shutdown-grace (how long a running replacement may go on after SIGTERM) refuses what is not a number of seconds, before it connects anywhere. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const worker = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    // an address nothing answers on: the check must come first
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
    timeout: 60_000,
  });

describe('worker --shutdown-grace', () => {
  for (const bad of ['-5', 'soon', '']) {
    it(`refuses "${bad}"`, () => {
      const run = worker(['--shutdown-grace', bad]);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`--shutdown-grace must be a number of seconds >= 0 \\(got "${bad}"\\)`));
    });
  }

  it('reads K8S_RU_SHUTDOWN_GRACE', () => {
    const run = worker([], { K8S_RU_SHUTDOWN_GRACE: 'never' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /--shutdown-grace must be a number of seconds >= 0 \(got "never"\)/);
  });

  it('is documented in --help with its default', () => {
    const run = worker(['--help']);
    assert.match(
      run.stdout.replace(/\s+/g, ' '),
      /--shutdown-grace <seconds>.*\(default: "900", env: K8S_RU_SHUTDOWN_GRACE\)/,
    );
  });
});
