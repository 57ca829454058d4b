/**
 * Least privilege and no leaks, on the real cluster (its kube-apiserver enforces RBAC): the upgrade
 * runs with a kubeconfig bound to the shipped role (deploy/rbac.yaml); no token or certificate from
 * that kubeconfig appears anywhere in the workflow histories, errors or worker logs; and a missing
 * permission fails clearly and non-retryably, naming the verb and resource, with the node as it was.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historiesText } from '../support/histories.js';
import { forgetClients } from '../support/temporal.js';
import { recentLogs } from '../../worker/worker.js';
import { RBAC, roleWithout, serviceAccountKubeconfig } from '../support/serviceaccount.js';
import {
  cluster,
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  startUpgrade,
} from './support.js';
import type { UpgradeStatus } from '../../model/status.js';

const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-security-'));
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
let h: Harness;

/** Points the catalogue's cluster at `kubeconfig`. */
function useKubeconfig(kubeconfig: string) {
  const catalogue = join(dir, `catalogue-${Date.now()}.yaml`);
  writeFileSync(
    catalogue,
    readFileSync(fixture, 'utf8').replace('${K8S_RU_KUBECONFIG:-/nonexistent/kubeconfig}', kubeconfig),
  );
  process.env.K8S_RU_CATALOGUE = catalogue;
  forgetClients();
}

before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

describe('least privilege and no credentials in Temporal', () => {
  it('upgrades with the shipped role and leaks no token or certificate', async () => {
    const { path, token } = serviceAccountKubeconfig(cluster, 'k8s-rolling-upgrade', RBAC, dir);
    useKubeconfig(path);
    const handle = await startUpgrade(h);
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
    assert.ok((await nodes()).every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable));

    const ca = /certificate-authority-data: (\S+)/.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
    const pem = Buffer.from(ca, 'base64').toString('utf8');
    const secrets = [token, token.split('.')[2] ?? token, ca.slice(0, 40), pem.split('\n')[1] ?? pem];
    const text = await historiesText(h.client, handle.workflowId);
    assert.ok(text.includes('k8s-upgrade-test-zcuuaiib6nqt-minion-2'), 'the scan reads the decoded payloads');
    for (const secret of secrets) {
      assert.ok(secret.length > 20);
      assert.ok(!text.includes(secret), 'credential material found in workflow history');
      assert.ok(!recentLogs.join('\n').includes(secret), 'credential material found in the worker logs');
    }
  });

  it('reports a missing permission as a non-retryable error naming the verb and resource, node as it was', async () => {
    const { path, token } = serviceAccountKubeconfig(
      cluster,
      'k8s-rolling-upgrade-limited',
      roleWithout('pods/eviction', 'create', dir),
      dir,
    );
    useKubeconfig(path);
    const handle = await startUpgrade(h);
    await assert.rejects(resultWithin(handle), (err: Error) => {
      const text =
        JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as { cause?: Error }).cause?.message);
      return /forbidden: cannot create pods\/eviction default\/nginx-deployment-/.test(text) && !text.includes(token);
    });
    const d = await handle.describe();
    assert.equal(d.status.name, 'FAILED');
    // The failed node says why in its own detail, not "Activity task failed".
    const status = await handle.query<UpgradeStatus>('status');
    const failed = status.nodes.find((n) => n.step === 'failed');
    assert.match(failed?.detail ?? '', /^forbidden: cannot create pods\/eviction default\/nginx-deployment-/);
    // The worker with the nginx pod is back as it was: schedulable, old version.
    const live = await nodes();
    assert.deepEqual(
      live.filter((n) => n.unschedulable).map((n) => n.name),
      [],
    );
    assert.ok(live.some((n) => n.role === 'worker' && n.kubeletVersion === 'v1.11.9'));
    // Non-retryable: the eviction was tried once, not retried until the activity's attempts ran out.
    const text = await historiesText(h.client, handle.workflowId);
    assert.match(text, /"type":"Forbidden"/);
    assert.match(text, /"nonRetryable":true/);
  });
});
