/**
 * The operator's decisions on a blocked drain, on the real cluster: an update for a node that is not
 * blocked is refused with the reason; `retryDrain` with a new timeout tries again; `forceDrain`
 * deletes the blocking pod (budget bypassed, on the operator's word only); `skipNode` leaves a node
 * at its old version, uncordoned, and the cluster keeps its old template.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { findCluster, findTemplate, loadCatalogue } from '../../activities/catalogue/load.js';
import { clusterShow } from '../../client/render.js';
import type { UpgradeStatus } from '../../model/status.js';
import {
  closeHarness,
  CLUSTER,
  clusterRecord,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
} from './support.js';
import { cluster } from './support.js';
import { kubectl } from '../../localcluster/cluster.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

const blockedNode = (s: UpgradeStatus) => s.nodes.find((n) => n.step === 'blocked')?.name;

describe('decisions on a blocked drain', () => {
  it('refuses a decision for a node that is not blocked, then retries, forces and skips', async () => {
    setBudget(2); // no eviction of nginx is ever allowed
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 3 });
    let s = await until(handle, 'a blocked drain', (x) => blockedNode(x) !== undefined, 120_000);
    const first = blockedNode(s) ?? '';
    const notBlocked = s.nodes.find((n) => n.step === 'done')?.name ?? '';
    await assert.rejects(
      handle.executeUpdate('retryDrain', { args: [{ node: notBlocked }] }),
      (err: Error) =>
        err instanceof WorkflowUpdateFailedError && /is not blocked .*blocked nodes: /.test(err.cause?.message ?? ''),
    );
    assert.match(
      await handle.executeUpdate<string, [{ node: string; timeoutSeconds: number }]>('retryDrain', {
        args: [{ node: first, timeoutSeconds: 2 }],
      }),
      /retrying the drain/,
    );
    s = await until(
      handle,
      'blocked again after the retry',
      (x) =>
        blockedNode(x) === first && x.nodes.some((n) => n.name === first && n.detail === 'drain blocked after 2 s'),
      60_000,
    );
    await handle.executeUpdate('forceDrain', { args: [{ node: first }] });
    const skipped: string[] = [];
    const handled = new Set([first]);
    const newBlock = (x: UpgradeStatus) => x.nodes.find((n) => n.step === 'blocked' && !handled.has(n.name))?.name;
    for (;;) {
      s = await until(
        handle,
        'the next block or the end',
        (x) => x.phase === 'completed' || x.phase === 'failed' || newBlock(x) !== undefined,
        120_000,
      );
      const node = newBlock(s);
      if (!node) break;
      handled.add(node);
      skipped.push(node);
      await handle.executeUpdate('skipNode', { args: [{ node }] });
    }
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
    const live = await nodes();
    assert.deepEqual(
      live.filter((n) => n.unschedulable).map((n) => n.name),
      [],
      'no node left cordoned',
    );
    assert.equal(live.find((n) => n.name === first)?.kubeletVersion, 'v1.12.7', 'the forced node was upgraded');
    for (const name of skipped)
      assert.equal(live.find((n) => n.name === name)?.kubeletVersion, 'v1.11.9', `${name} was skipped`);
    const cat = loadCatalogue();
    const record = await clusterRecord();
    // Every pod the force deleted is named, in the final status, the node's progress and the record.
    const forced = final.forcedDeletions;
    assert.ok(forced.length > 0, 'the forced drain deleted a pod');
    for (const d of forced) {
      assert.match(d.pod, /^default\/nginx-/);
      assert.equal(d.node, first);
      assert.equal(d.decision, 'forceDrain by the operator');
      assert.ok(Date.parse(d.at) > 0, `a time: ${d.at}`);
    }
    assert.deepEqual(final.nodes.find((n) => n.name === first)?.deleted, forced);
    assert.deepEqual(record.forced_deletions, forced, 'the record keeps them after the upgrade');
    const shown = clusterShow(findCluster(cat, CLUSTER), findTemplate(cat, record.template), record);
    assert.ok(shown.includes(forced[0]?.pod ?? '?'), `kru status names the deleted pod:\n${shown}`);
    if (skipped.length > 0) {
      assert.equal(record.template, 'kubernetes-v1.11.9-prod-20190402', 'a partly upgraded cluster keeps its template');
      assert.match(record.status_reason, /partial: .* not upgraded \(skipped\)/);
    }
  });

  it('parks a node at once for a pod it may not evict, says so, and an abort clears the block', async () => {
    const worker = (await nodes()).find((n) => n.role === 'worker')?.name ?? '';
    const bare = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unmanaged', namespace: 'default' },
      spec: { nodeName: worker, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
    };
    kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(bare));
    try {
      const handle = await startUpgrade(h, { drainTimeoutSeconds: 600 });
      const s = await until(handle, 'the unmanaged pod to park its node', (x) => blockedNode(x) === worker, 120_000);
      const parked = s.nodes.find((n) => n.name === worker);
      assert.match(parked?.detail ?? '', /^drain stopped at once: 1 pod\(s\) it may not evict without the operator$/);
      assert.deepEqual(
        parked?.blocked?.map((b) => [b.pod, b.reason]),
        [['default/unmanaged', 'unmanaged']],
      );
      await handle.signal('abort', { reason: 'test' });
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'aborted');
      const restored = final.nodes.find((n) => n.name === worker);
      assert.equal(restored?.step, 'restored');
      assert.deepEqual(restored?.blocked, [], 'a restored node is no longer blocked');
      assert.equal((await nodes()).find((n) => n.name === worker)?.unschedulable, false);
    } finally {
      kubectl(cluster, ['delete', 'pod', 'unmanaged', '-n', 'default', '--ignore-not-found', '--wait=false']);
    }
  });
  it('parks a pod under two budgets (the Eviction API refuses it with a 500) naming both, until the operator acts', async () => {
    const second = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'nginx-pdb-2', namespace: 'default' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'nginx' } } },
    };
    kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(second));
    try {
      const handle = await startUpgrade(h, { drainTimeoutSeconds: 3 });
      const s = await until(handle, 'a node parked by two budgets', (x) => blockedNode(x) !== undefined, 120_000);
      const parked = s.nodes.find((n) => n.step === 'blocked');
      assert.match(
        parked?.blocked?.[0]?.message ?? '',
        /more than one budget covers it \(default\/nginx-pdb, default\/nginx-pdb-2\)/,
      );
      assert.equal(s.phase, 'paused', 'parked for the operator, not failed');
      kubectl(cluster, ['delete', 'pdb', 'nginx-pdb-2', '-n', 'default']);
      await handle.signal('resume');
      const final = await resultWithin(handle);
      assert.equal(final.phase, 'completed', final.errors.join('; '));
    } finally {
      kubectl(cluster, ['delete', 'pdb', 'nginx-pdb-2', '-n', 'default', '--ignore-not-found']);
    }
  });
});
