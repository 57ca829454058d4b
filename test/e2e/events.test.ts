/**
 * The upgrade's story on each Node, on the real cluster and under the shipped role (deploy/rbac.yaml):
 * a drain blocked by a budget, retried once the budget allows it, leaves on its node the Events
 * Cordoned, Draining, DrainBlocked (naming the pod and the budget), Draining again (counted, not a
 * second Event), Replacing, Replaced, Uncordoned, each with the upgrade id and versions, from
 * k8s-rolling-upgrade, read back by involvedObject as `kubectl get events` and `kubectl describe node`
 * read them. An abort while blocked ends the story with Restored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CoreV1Event } from '@kubernetes/client-node';
import { EVENT_REPORTER, EVENT_UPGRADE } from '../../activities/kube/events.js';
import { kubectl } from '../../localcluster/cluster.js';
import type { UpgradeStatus } from '../../model/status.js';
import { RBAC, serviceAccountKubeconfig } from '../support/serviceaccount.js';
import { forgetClients } from '../support/temporal.js';
import {
  cluster,
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
} from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-events-'));
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
let h: Harness;

before(async () => {
  h = await harness();
  // The worker reaches the cluster as the shipped role's ServiceAccount, not as the admin.
  const { path } = serviceAccountKubeconfig(cluster, 'k8s-rolling-upgrade', RBAC, dir);
  const catalogue = join(dir, 'catalogue.yaml');
  writeFileSync(
    catalogue,
    readFileSync(fixture, 'utf8').replace('${K8S_RU_KUBECONFIG:-/nonexistent/kubeconfig}', path),
  );
  process.env.K8S_RU_CATALOGUE = catalogue;
  forgetClients();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

/** This upgrade's Events on `node`, as `kubectl get events --field-selector involvedObject.name=NODE` lists them, oldest first. */
function nodeEvents(node: string, upgradeId: string): CoreV1Event[] {
  const selector = `involvedObject.kind=Node,involvedObject.name=${node}`;
  const list = JSON.parse(
    kubectl(cluster, ['get', 'events', '-n', 'default', '--field-selector', selector, '-o', 'json']),
  ) as { items: CoreV1Event[] };
  return list.items
    .filter((e) => e.metadata.annotations?.[EVENT_UPGRADE]?.split(' ')[0] === upgradeId)
    .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
}

const blockedNode = (s: UpgradeStatus) => s.nodes.find((n) => n.step === 'blocked')?.name;
const VERSIONS = 'v1.11.9 → v1.12.7';

describe('Kubernetes Events on each Node', () => {
  it('tells a budget-blocked drain, its retry and the replacement, in order, on the node', async () => {
    setBudget(2); // no nginx pod may be evicted
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 3 });
    const s = await until(handle, 'a blocked drain', (x) => blockedNode(x) !== undefined, 120_000);
    const node = blockedNode(s) ?? '';
    const id = handle.workflowId;

    const blocked = nodeEvents(node, id).find((e) => e.reason === 'DrainBlocked');
    assert.ok(blocked, `a DrainBlocked Event on ${node}`);
    assert.equal(blocked.type, 'Warning');
    assert.match(
      blocked.message ?? '',
      /^drain blocked after 3 s: \d pod\(s\) left: default\/nginx-deployment-\S+ \(budget default\/nginx-pdb\)/,
    );
    assert.match(blocked.message ?? '', /waiting for the operator \(retryDrain, forceDrain, skipNode or abort\)/);

    setBudget(1);
    await handle.executeUpdate('retryDrain', { args: [{ node, timeoutSeconds: 60 }] });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');

    const events = nodeEvents(node, id);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['Cordoned', 'Draining', 'DrainBlocked', 'Replacing', 'Replaced', 'Uncordoned'],
      'one Event per reason, in the order the steps happened',
    );
    const draining = events.find((e) => e.reason === 'Draining');
    assert.equal(draining?.count, 2, 'the retried drain counted on the same Event');
    assert.ok(
      Date.parse(String(draining?.lastTimestamp)) >= Date.parse(String(blocked.lastTimestamp)),
      'its lastTimestamp is the retry',
    );
    assert.match(draining?.message ?? '', /^draining: evicting its pods \(timeout 60 s\)/);
    const live = JSON.parse(kubectl(cluster, ['get', 'node', node, '-o', 'json'])) as { metadata: { uid: string } };
    for (const e of events) {
      assert.ok(e.message?.endsWith(`(upgrade ${id}: ${VERSIONS})`), `${e.reason}: ${e.message}`);
      assert.equal(e.reportingComponent, EVENT_REPORTER);
      assert.equal(e.source?.component, EVENT_REPORTER);
      assert.ok(e.reportingInstance, 'the worker that wrote it');
      assert.deepEqual([e.involvedObject.kind, e.involvedObject.name], ['Node', node]);
      assert.ok(e.involvedObject.uid, `${e.reason} names the Node's uid`);
    }
    // kwok registers the node again as a new object: the Events after that name the new one.
    const uncordoned = events.find((e) => e.reason === 'Uncordoned');
    assert.equal(uncordoned?.involvedObject.uid, live.metadata.uid);
    assert.equal(uncordoned?.type, 'Normal');
    assert.match(uncordoned?.message ?? '', /^uncordoned: upgraded to v1\.12\.7 /);
    assert.match(events.find((e) => e.reason === 'Replaced')?.message ?? '', /^replaced: Ready at v1\.12\.7 /);

    // What an operator sees: `kubectl describe node` lists the Node's Events from k8s-rolling-upgrade.
    const described = kubectl(cluster, ['describe', 'node', node]);
    assert.match(described, /Normal\s+Replaced\s+\S+\s+k8s-rolling-upgrade\s+replaced: Ready at v1\.12\.7/);
    assert.match(described, /Normal\s+Uncordoned\s+\S+\s+k8s-rolling-upgrade\s+uncordoned: upgraded/);

    // Every other node upgraded tells its own story, without a block.
    for (const other of final.nodes.filter((n) => n.name !== node)) {
      assert.deepEqual(
        nodeEvents(other.name, id).map((e) => e.reason),
        ['Cordoned', 'Draining', 'Replacing', 'Replaced', 'Uncordoned'],
        other.name,
      );
    }
  });

  it('ends the story of a node aborted while blocked with Restored', async () => {
    setBudget(2);
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 3 });
    const s = await until(handle, 'a blocked drain', (x) => blockedNode(x) !== undefined, 120_000);
    const node = blockedNode(s) ?? '';
    await handle.signal('abort', { reason: 'events e2e' });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'aborted');
    const events = nodeEvents(node, handle.workflowId);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['Cordoned', 'Draining', 'DrainBlocked', 'Restored'],
    );
    const restored = events.at(-1);
    assert.equal(restored?.type, 'Normal');
    assert.equal(restored?.message, `aborted: restored to its prior state (upgrade ${handle.workflowId}: ${VERSIONS})`);
  });
});
