/**
 * A node whose replacement failed stays cordoned, on the real local cluster with the `command`
 * provider: the command fails for one node (the node named in a file), the node is parked with the
 * provider's reason and never uncordoned; `retryReplace` runs it again, `skipNode` goes on without it
 * and `abort` stops — in both it stays cordoned and the status and the record name it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeNames } from '../../localcluster/nodes.js';
import type { UpgradeStatus } from '../../model/status.js';
import { forgetClients } from '../support/temporal.js';
import {
  closeHarness,
  cluster,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  startUpgrade,
  until,
  clusterRecord,
} from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-replace-failure-'));
const failFile = join(dir, 'fail-node');
const log = join(dir, 'provider.log');
const { masters, workers } = nodeNames(cluster.layout);

// The test cluster replaced by a command: it fails for the node named in `failFile`, and otherwise
// registers the kwok node again at the target version (test/fixtures/replace-provider.sh).
const command =
  `if [ "$NODE_NAME" = "$(cat "$FAIL_FILE" 2>/dev/null)" ]; then ` +
  `echo "rebuild of $NODE_NAME failed: image not found" >&2; exit 3; fi; ` +
  `exec sh ${join(root, 'test', 'fixtures', 'replace-provider.sh')}`;
const fixture = readFileSync(join(root, 'test', 'fixtures', 'catalogue.yaml'), 'utf8');
const catalogue = join(dir, 'catalogue.yaml');
writeFileSync(
  catalogue,
  fixture.replace(
    'replace: { provider: kwok, delaySeconds: 1 }',
    `replace: { provider: command, command: ${JSON.stringify(command)}, timeoutSeconds: 60, ` +
      `env: { FAIL_FILE: ${JSON.stringify(failFile)}, PROVIDER_LOG: ${JSON.stringify(log)}, PROVIDER_SECONDS: '0' } }`,
  ),
);

let h: Harness;
let original: string | undefined;
before(async () => {
  original = process.env.K8S_RU_CATALOGUE;
  process.env.K8S_RU_CATALOGUE = catalogue;
  forgetClients();
  h = await harness();
});
after(async () => {
  await closeHarness(h);
  process.env.K8S_RU_CATALOGUE = original;
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  rmSync(failFile, { force: true });
  await freshCluster();
});

const failing = (node: string) => writeFileSync(failFile, node);
const parked = (node: string) => (s: UpgradeStatus) =>
  s.nodes.some((n) => n.name === node && n.step === 'replace-failed');
const cordoned = async (node: string) => (await nodes()).find((n) => n.name === node)?.unschedulable;

describe('a failed replacement', () => {
  it('parks the node cordoned with the reason; retryReplace replaces it and the upgrade completes', async () => {
    const node = masters[0] ?? '';
    failing(node);
    const handle = await startUpgrade(h);
    const s = await until(handle, `${node} parked`, parked(node), 120_000);
    const n = s.nodes.find((x) => x.name === node);
    assert.equal(n?.cordoned, true);
    assert.match(n?.detail ?? '', /exited with 3.*image not found/);
    assert.equal(s.phase, 'paused');
    assert.match(s.pausedReason ?? '', new RegExp(`replacement failed on ${node} \\(left cordoned\\)`));
    assert.equal(await cordoned(node), true, 'still cordoned in the cluster');
    // resume is no retry of a replacement: the node stays parked
    await handle.signal('resume');
    await until(handle, 'still parked after resume', parked(node), 10_000);
    assert.equal(await cordoned(node), true);

    rmSync(failFile);
    assert.match(await handle.executeUpdate('retryReplace', { args: [{ node }] }), /replacing again/);
    const final = await resultWithin(handle, 300_000);
    assert.equal(final.phase, 'completed');
    for (const x of await nodes()) {
      assert.deepEqual([x.name, x.kubeletVersion, x.unschedulable], [x.name, 'v1.12.7', false]);
    }
    assert.equal((await clusterRecord()).status, 'UPDATE_COMPLETE');
  });

  it('skipNode goes on without the node and leaves it cordoned, named in the status and the record', async () => {
    const node = workers[0] ?? '';
    failing(node);
    const handle = await startUpgrade(h);
    await until(handle, `${node} parked`, parked(node), 180_000);
    await handle.executeUpdate('skipNode', { args: [{ node }] });
    const final = await resultWithin(handle, 300_000);
    assert.equal(final.phase, 'completed');
    const n = final.nodes.find((x) => x.name === node);
    assert.deepEqual([n?.step, n?.cordoned], ['skipped', true]);
    assert.match(n?.detail ?? '', /LEFT CORDONED/);
    assert.equal(await cordoned(node), true, 'still cordoned in the cluster');
    const r = await clusterRecord();
    assert.deepEqual(r.left_cordoned, [node]);
    assert.match(r.status_reason, new RegExp(`${node}=\\S+ \\(CORDONED\\)`));
    assert.equal(r.template, 'kubernetes-v1.11.9-prod-20190402', 'a node not upgraded keeps the old template');
  });

  it('abort ends the upgrade and leaves the node cordoned (UPDATE_ABORTED)', async () => {
    const node = masters[0] ?? '';
    failing(node);
    const handle = await startUpgrade(h);
    await until(handle, `${node} parked`, parked(node), 120_000);
    await handle.signal('abort', { reason: 'replacement failed' });
    const final = await resultWithin(handle, 60_000);
    assert.equal(final.phase, 'aborted');
    assert.deepEqual(
      final.nodes.filter((x) => x.cordoned).map((x) => x.name),
      [node],
    );
    assert.equal(await cordoned(node), true);
    const r = await clusterRecord();
    assert.equal(r.status, 'UPDATE_ABORTED');
    assert.deepEqual(r.left_cordoned, [node]);
  });
});
