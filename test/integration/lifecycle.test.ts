/**
 * The local cluster's own lifecycle, on a second cluster (its own folder and apiserver port) so the
 * shared test cluster is untouched: `down` leaves no process and frees the port, and `up` works again
 * after it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, clusterOptions, down, kubectl, livePids, up } from '../../localcluster/cluster.js';
import { supervisorPid } from '../../localcluster/supervisor.js';

// Next to the shared test cluster (<repo>/.run/test/cluster2 by default), on its port + 100 (32743 by
// default; 32943 with TEST_APISERVER_PORT=32843), or on $TEST_CLUSTER2_PORT: concurrent runs don't collide.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const env = process.env;
const o = clusterOptions({
  dir: join(dirname(env.K8S_RU_CLUSTER_DIR ?? join(ROOT, '.run', 'test', 'cluster')), 'cluster2'),
  apiserverPort: Number(env.TEST_CLUSTER2_PORT ?? Number(env.K8S_RU_APISERVER_PORT ?? 32643) + 100),
});
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'];

after(() => down(o));

/** The program a pid runs (argv[0]'s base name). */
const program = (pid: number) => basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');

/**
 * Sockets LISTENing on `port` (any address), from /proc/net/tcp{,6}. Read from the kernel rather than
 * by binding the port ourselves: ports from 32768 up are also ephemeral client ports on Linux, so a
 * bind can fail because some unrelated connection happens to use the port locally.
 */
function listeners(port: number): string[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(hex) && cols[3] === '0A') // 0A = TCP_LISTEN
      .map((cols) => cols[1]!),
  );
}

/** Resolves true when we can bind 127.0.0.1:port ourselves. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const readyz = () => kubectl(o, ['get', '--raw', '/readyz']).trim();

describe(`cluster lifecycle (second cluster on port ${o.apiserverPort})`, () => {
  let first: number[] = [];
  let supervisor: number | undefined;

  it('up runs the five control-plane and kwok processes and answers /readyz', async () => {
    await up(o);
    first = livePids(o);
    assert.deepEqual(first.map(program).sort(), [...COMPONENTS].sort());
    supervisor = supervisorPid(o);
    assert.ok(supervisor, 'the supervisor runs');
    assert.equal(readyz(), 'ok');
  });

  it('down stops every one of them and frees the apiserver port', async () => {
    assert.equal(first.length, 5, 'the first test recorded the processes');
    down(o);
    assert.deepEqual(first.filter(alive), [], 'no process of the cluster is left running');
    assert.equal(alive(supervisor ?? 0), false, 'the supervisor is stopped');
    assert.deepEqual(livePids(o), []);
    assert.deepEqual(listeners(o.apiserverPort), [], `nothing listens on port ${o.apiserverPort} any more`);
    if (o.apiserverPort < 32768)
      assert.equal(await bindable(o.apiserverPort), true, `port ${o.apiserverPort} can be bound again`);
  });

  it('up works again after down', async () => {
    await up(o);
    assert.equal(readyz(), 'ok');
    const again = livePids(o);
    assert.deepEqual(again.map(program).sort(), [...COMPONENTS].sort());
    assert.deepEqual(
      again.filter((pid) => first.includes(pid)),
      [],
      'new processes, not survivors of the first cluster',
    );
  });
});
