/**
 * The local cluster's own lifecycle, on a second cluster (its own folder and apiserver port) so the
 * shared test cluster is untouched: `down` leaves no process and frees the port, and `up` works again
 * after it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, clusterOptions, down, kubectl, livePids, up } from '../cluster/cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// TEST_CLUSTER2_PORT: another port when 32743 is taken (e.g. by a concurrent run).
const o = clusterOptions({ dir: join(ROOT, '.run', 'test', 'cluster2'), apiserverPort: Number(process.env.TEST_CLUSTER2_PORT ?? 32743) });
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'];

after(() => down(o));

/** The program a pid runs (argv[0]'s base name). */
const program = (pid: number) => basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');

/** Resolves true when nothing listens on 127.0.0.1:port (we could bind it ourselves). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const readyz = () => kubectl(o, ['get', '--raw', '/readyz']).trim();

describe(`cluster lifecycle (second cluster on port ${o.apiserverPort})`, () => {
  let first: number[] = [];

  it('up runs the five control-plane and kwok processes and answers /readyz', async () => {
    await up(o);
    first = livePids(o);
    assert.deepEqual(first.map(program).sort(), [...COMPONENTS].sort());
    assert.equal(readyz(), 'ok');
  });

  it('down stops every one of them and frees the apiserver port', async () => {
    assert.equal(first.length, 5, 'the first test recorded the processes');
    down(o);
    assert.deepEqual(first.filter(alive), [], 'no process of the cluster is left running');
    assert.deepEqual(livePids(o), []);
    assert.equal(await portFree(o.apiserverPort), true, `port ${o.apiserverPort} is free again`);
  });

  it('up works again after down', async () => {
    await up(o);
    assert.equal(readyz(), 'ok');
    const again = livePids(o);
    assert.deepEqual(again.map(program).sort(), [...COMPONENTS].sort());
    assert.deepEqual(again.filter((pid) => first.includes(pid)), [], 'new processes, not survivors of the first cluster');
  });
});
