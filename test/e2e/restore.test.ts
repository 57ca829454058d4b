/**
 * The upgrade puts back only what it changed, on the real cluster: a taint, a label and an annotation
 * added to a node while it drains are still there after an abort and after the node was replaced
 * (kwok registers it again); a node the operator cordoned before the upgrade stays cordoned; a node an
 * earlier upgrade's replacement left below its version stays cordoned, that record on it. And a way
 * back: `recover` refuses while the upgrade runs; after a terminate it restores the nodes the upgrade
 * left and makes the record startable, and a new upgrade completes; after a failed upgrade a new one
 * starts and skips the nodes already upgraded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { V1Node } from '@kubernetes/client-node';
import { CHANGES, CORDONED_BY, ourAnnotations, REPLACEMENT } from '../../activities/kube/nodes.js';
import { recoverCluster, recoveryReport } from '../../client/commands/recover.js';
import { kubectl } from '../../localcluster/cluster.js';
import { nodeNames } from '../../localcluster/nodes.js';
import type { UpgradeStatus } from '../../model/status.js';
import { roleWithout, serviceAccountKubeconfig } from '../support/serviceaccount.js';
import { forgetClients } from '../support/temporal.js';
import {
  closeHarness,
  cluster,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  kube,
  nginxNodes,
  nodes,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
  clusterRecord,
} from './support.js';

const fixture = process.env.K8S_RU_CATALOGUE ?? '';
let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  process.env.K8S_RU_CATALOGUE = fixture;
  forgetClients();
  await closeHarness(h);
});
beforeEach(async () => {
  process.env.K8S_RU_CATALOGUE = fixture;
  await freshCluster();
});

const { masters, workers } = nodeNames(cluster.layout);
const TAINT = { key: 'example.com/maintenance', value: 'disk', effect: 'PreferNoSchedule' };

async function read(name: string): Promise<V1Node> {
  return await kube().core.readNode({ name });
}

/** What others add to a node while the upgrade works on it. */
function addTheirs(name: string): void {
  kubectl(cluster, ['taint', 'node', name, `${TAINT.key}=${TAINT.value}:${TAINT.effect}`]);
  kubectl(cluster, ['label', 'node', name, 'example.com/rack=r7']);
  kubectl(cluster, ['annotate', 'node', name, 'example.com/ticket=OPS-42']);
}

async function assertTheirsKept(name: string): Promise<void> {
  const node = await read(name);
  assert.ok(
    node.spec?.taints?.some((t) => t.key === TAINT.key && t.value === TAINT.value && t.effect === TAINT.effect),
    `${name} keeps the taint added during the upgrade: ${JSON.stringify(node.spec?.taints)}`,
  );
  assert.equal(node.metadata?.labels?.['example.com/rack'], 'r7', `${name} keeps the label`);
  assert.equal(node.metadata?.annotations?.['example.com/ticket'], 'OPS-42', `${name} keeps the annotation`);
}

/** No node carries the upgrade's record; the cordoned nodes are exactly `cordoned`. */
async function putBack(cordoned: string[]): Promise<void> {
  const all = (await kube().core.listNode()).items;
  assert.deepEqual(
    all.filter((n) => ourAnnotations(n).length > 0).map((n) => [n.metadata?.name, ourAnnotations(n)]),
    [],
    "no node keeps the upgrade's annotations",
  );
  assert.deepEqual(
    (await nodes())
      .filter((n) => n.unschedulable)
      .map((n) => n.name)
      .sort(),
    [...cordoned].sort(),
    'cordoned nodes',
  );
}

/** Starts an upgrade whose drain of an nginx node cannot finish (the budget allows no eviction); returns that node. */
async function drainHeld(): Promise<{ handle: Awaited<ReturnType<typeof startUpgrade>>; node: string }> {
  setBudget(2);
  const withNginx = await nginxNodes();
  const handle = await startUpgrade(h, { drainTimeoutSeconds: 600 });
  const s = await until(
    handle,
    'the drain of an nginx node',
    (x) => x.nodes.some((n) => n.step === 'drain' && withNginx.includes(n.name)),
    120_000,
  );
  return { handle, node: s.nodes.find((n) => n.step === 'drain' && withNginx.includes(n.name))?.name ?? '' };
}

const skippedAsDone = (s: UpgradeStatus, name: string) =>
  s.nodes.find((n) => n.name === name)?.detail === 'already at the target version';

describe('restore puts back only what the upgrade changed', () => {
  it('after an abort mid-drain: the taint, label and annotation added meanwhile stay; the node is uncordoned', async () => {
    const { handle, node } = await drainHeld();
    addTheirs(node);
    await handle.signal('abort', { reason: 'e2e' });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'aborted');
    await assertTheirsKept(node);
    await putBack([]);
  });

  it("after an abort mid-drain of a node an earlier upgrade's replacement left below its version: it stays cordoned, that record kept", async () => {
    // The earlier upgrade's replacement of each nginx node failed: cordoned, marked, still at v1.11.9.
    const earlier = 'upgrade-earlier';
    for (const n of await nginxNodes()) {
      kubectl(cluster, ['cordon', n]);
      const record = JSON.stringify({ cordoned: true, taints: [], labels: [] });
      const key = `${earlier}/${n}/v1.12.7`;
      kubectl(cluster, [
        'annotate',
        'node',
        n,
        `${CORDONED_BY}=${earlier}`,
        `${CHANGES}=${record}`,
        `${REPLACEMENT}=${key}`,
      ]);
    }
    const { handle, node } = await drainHeld();
    assert.equal((await read(node)).metadata?.annotations?.[CORDONED_BY], handle.workflowId, 'the cordon taken over');
    await handle.signal('abort', { reason: 'e2e' });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'aborted');
    const after = await read(node);
    assert.equal(after.spec?.unschedulable, true, `${node} stays cordoned: its state is unknown`);
    assert.equal(after.status?.nodeInfo?.kubeletVersion, 'v1.11.9');
    assert.deepEqual(
      [after.metadata?.annotations?.[REPLACEMENT], after.metadata?.annotations?.[CORDONED_BY]],
      [`${earlier}/${node}/v1.12.7`, handle.workflowId],
      "the earlier replacement's record and the cordon's are kept",
    );
  });

  it("after completion: the replaced node keeps what was added mid-drain; the operator's cordon stays", async () => {
    const withNginx = await nginxNodes();
    const operators = workers.find((w) => !withNginx.includes(w)) ?? ''; // two nginx pods, three workers
    kubectl(cluster, ['cordon', operators]);
    const { handle, node } = await drainHeld();
    assert.notEqual(node, operators);
    addTheirs(node);
    setBudget(1); // the drain goes on: the node is replaced (deleted and registered again)
    const uid = (await read(node)).metadata?.uid;
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
    const after = await read(node);
    assert.notEqual(after.metadata?.uid, uid, 'the node was registered again');
    assert.equal(after.status?.nodeInfo?.kubeletVersion, 'v1.12.7');
    await assertTheirsKept(node);
    assert.equal((await read(operators)).status?.nodeInfo?.kubeletVersion, 'v1.12.7', 'the cordoned node was upgraded');
    await putBack([operators]);
  });
});

describe('recover', () => {
  it('refuses while the upgrade runs; after a terminate restores its nodes and a new upgrade completes', async () => {
    const withNginx = await nginxNodes();
    const cordonedBefore = workers.find((w) => !withNginx.includes(w)) ?? ''; // two nginx pods, three workers
    kubectl(cluster, ['cordon', cordonedBefore]);
    const { handle, node } = await drainHeld();
    await assert.rejects(
      recoverCluster(h.client, CLUSTER, h.taskQueue),
      new RegExp(`an upgrade of cluster ${CLUSTER} is running \\(workflow ${handle.workflowId}\\)`),
    );
    await handle.terminate('e2e: the upgrade is lost');
    assert.equal(
      (await clusterRecord()).status,
      'UPDATE_IN_PROGRESS',
      'a terminated upgrade leaves its record unfinished',
    );
    assert.deepEqual(
      ourAnnotations(await read(node)).sort(),
      ['k8s-rolling-upgrade/changes', 'k8s-rolling-upgrade/cordoned-by'],
      'and its node cordoned',
    );
    addTheirs(node);

    const r = await recoverCluster(h.client, CLUSTER, h.taskQueue);
    assert.equal(r.nodes.find((n) => n.name === node)?.action, 'restored');
    assert.equal(r.nodes.find((n) => n.name === cordonedBefore)?.action, 'untouched');
    await putBack([cordonedBefore]);
    await assertTheirsKept(node);
    const versions = Object.fromEntries((await nodes()).map((n) => [n.name, n.kubeletVersion]));
    for (const n of r.nodes) assert.equal(n.version, versions[n.name], `${n.name}'s version as reported`);
    const report = recoveryReport(r);
    for (const n of r.nodes) assert.match(report, new RegExp(`${n.name} .*${n.version}`));
    const recovered = await clusterRecord();
    assert.equal(recovered.status, 'UPDATE_FAILED');
    assert.equal(recovered.template, 'kubernetes-v1.11.9-prod-20190402', 'some nodes still run v1.11.9');
    assert.match(
      recovered.status_reason,
      /^recovered by the operator: nodes \d at v1\.12\.7 \(.*\), \d at v1\.11\.9 \(/,
    );
    // The entity found the upgrade terminated (when recover read the record) and said so in the record.
    assert.match(
      recovered.status_reason,
      new RegExp(`; before: UPDATE_FAILED: upgrade ${handle.workflowId} ended terminated while UPDATE_IN_PROGRESS`),
    );
    for (const m of masters) assert.equal(versions[m], 'v1.12.7', `${m} was upgraded before the terminate`);

    // Twice is harmless: nothing left to restore, the record says the same.
    const again = await recoverCluster(h.client, CLUSTER, h.taskQueue);
    assert.deepEqual(
      again.nodes.filter((n) => n.action !== 'untouched'),
      [],
    );
    assert.equal((await clusterRecord()).status_reason, recovered.status_reason);

    setBudget(1);
    const next = await startUpgrade(h);
    const final = await resultWithin(next);
    assert.equal(final.phase, 'completed');
    for (const m of masters) assert.ok(skippedAsDone(final, m), `${m} is skipped: ${JSON.stringify(final.nodes)}`);
    for (const n of await nodes()) assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
    await putBack([cordonedBefore]);
    assert.equal((await clusterRecord()).status, 'UPDATE_COMPLETE');
  });

  it('after a failed upgrade, a new one starts and skips the nodes already upgraded', async () => {
    // The worker may not evict: the first drain that must evict fails the upgrade, after the masters.
    const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-restore-'));
    const { path } = serviceAccountKubeconfig(
      cluster,
      'k8s-rolling-upgrade-limited',
      roleWithout('pods/eviction', 'create', dir),
      dir,
    );
    const limited = join(dir, 'catalogue.yaml');
    writeFileSync(
      limited,
      readFileSync(fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url)), 'utf8').replace(
        '${K8S_RU_KUBECONFIG:-/nonexistent/kubeconfig}',
        path,
      ),
    );
    process.env.K8S_RU_CATALOGUE = limited;
    forgetClients();
    const failed = await startUpgrade(h);
    await assert.rejects(resultWithin(failed), (err: Error) =>
      /forbidden: cannot create pods\/eviction/.test(String((err.cause as Error | undefined)?.message)),
    );
    assert.equal((await clusterRecord()).status, 'UPDATE_FAILED');
    const uids = new Map((await kube().core.listNode()).items.map((n) => [n.metadata?.name, n.metadata?.uid]));
    const upgraded = (await nodes()).filter((n) => n.kubeletVersion === 'v1.12.7').map((n) => n.name);
    for (const m of masters) assert.ok(upgraded.includes(m), `${m} was upgraded before the failure`);
    assert.ok(upgraded.length < masters.length + workers.length, 'some workers were not');

    process.env.K8S_RU_CATALOGUE = fixture;
    forgetClients();
    const next = await startUpgrade(h);
    const final = await resultWithin(next);
    assert.equal(final.phase, 'completed');
    for (const m of upgraded) {
      assert.ok(skippedAsDone(final, m), `${m} is skipped: ${JSON.stringify(final.nodes)}`);
      assert.equal((await read(m)).metadata?.uid, uids.get(m), `${m} was not replaced again`);
    }
    for (const n of await nodes()) assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
    await putBack([]);
    assert.equal((await clusterRecord()).status, 'UPDATE_COMPLETE');
  });
});
