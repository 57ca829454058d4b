/**
 * The worker's health checks (`--health-port`): /healthz answers while the process is up, draining
 * included; /readyz only while the worker polls. Served for real on a free port; a bad port is refused
 * by the worker before it connects anywhere, and a port in use is named.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { State } from '@temporalio/worker';
import { serveHealth } from '../../worker/health.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const probe = createServer().listen(0);
  await new Promise((resolve) => probe.once('listening', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function get(port: number, path: string, method = 'GET'): Promise<[number, string]> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return [res.status, (await res.text()).trim()];
}

describe('worker health checks', () => {
  it('says alive throughout and ready only while the worker polls', async () => {
    const health = await serveHealth(await freePort());
    try {
      assert.deepEqual(await get(health.port, '/healthz'), [200, 'alive: STARTING']);
      assert.deepEqual(await get(health.port, '/readyz'), [503, 'not ready: not polling (STARTING)']);
      let state: State = 'INITIALIZED';
      health.follow({ getState: () => state });
      const table: [State, number][] = [
        ['INITIALIZED', 503],
        ['RUNNING', 200],
        ['STOPPING', 503],
        ['DRAINING', 503],
        ['DRAINED', 503],
        ['STOPPED', 503],
        ['FAILED', 503],
      ];
      for (const [s, ready] of table) {
        state = s;
        assert.deepEqual(await get(health.port, '/healthz'), [200, `alive: ${s}`], s);
        const [status, body] = await get(health.port, '/readyz');
        assert.equal(status, ready, `${s}: ${body}`);
        assert.equal(body, ready === 200 ? 'ready: polling (RUNNING)' : `not ready: not polling (${s})`);
      }
      assert.deepEqual(await get(health.port, '/healthz?verbose'), [200, 'alive: FAILED']);
      assert.deepEqual(await get(health.port, '/metrics'), [
        404,
        'not found: the health checks are /healthz and /readyz',
      ]);
      assert.deepEqual(await get(health.port, '/readyz', 'POST'), [405, 'method not allowed: GET or HEAD']);
      assert.deepEqual(await get(health.port, '/healthz', 'HEAD'), [200, '']);
    } finally {
      await health.close();
    }
  });

  it('names a port already in use', async () => {
    const taken = await serveHealth(await freePort());
    try {
      await assert.rejects(
        serveHealth(taken.port),
        new RegExp(`^Error: cannot serve the health checks on port ${taken.port}: .*EADDRINUSE`),
      );
    } finally {
      await taken.close();
    }
  });

  for (const bad of ['0', '70000', 'http', '80.5', '']) {
    it(`the worker refuses --health-port "${bad}" before it connects`, () => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts', '--health-port', bad], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
        timeout: 60_000,
      });
      assert.equal(run.status, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `option '--health-port <port>' argument '${bad}' is invalid\\. .*the health port is a port number from 1 to 65535, not "${bad.replace('.', '\\.')}"`,
        ),
      );
    });
  }
});
