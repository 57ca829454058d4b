/**
 * What the e2e tests share: the real local cluster (reseeded before each test), a fresh cluster
 * record, a real worker on the real dev server, and small waits on the upgrade's status.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import type { Kube } from '../../activities/kube/client.js';
import { nodeState } from '../../activities/kube/nodes.js';
import type { NodeState } from '../../model/kube.js';
import type { UpgradeRequest } from '../../model/upgrade.js';
import { clusterOptions, kubeconfigPath, kubectl, seed } from '../../localcluster/cluster.js';
import { forgetClients, type Harness, testDeps, uniqueQueue } from '../support/temporal.js';
import { findCluster, loadCatalogue } from '../../activities/catalogue/load.js';
import type { ClusterRecord } from '../../model/record.js';

// The worker harness and status waits live in test/support/temporal.ts; e2e tests get them from here too.
export { closeHarness, type Harness, harness, resultWithin, until } from '../support/temporal.js';

export const CLUSTER = 'k8s-upgrade-test';
export const TARGET = 'kubernetes-v1.12.7-prod-20190403';
process.env.K8S_RU_CATALOGUE = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));

export const cluster = clusterOptions();
// The fixture catalogue's cluster reaches the test cluster through this (scripts/test.sh started it).
process.env.K8S_RU_KUBECONFIG = kubeconfigPath(cluster);
export const kubeconfig = () => join(cluster.dir, 'kubeconfig');

/** The seed's state again, and an empty record (the cluster at CREATE_COMPLETE). */
export async function freshCluster(): Promise<void> {
  process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-e2e-state-'));
  forgetClients();
  await seed(cluster);
}

/** The test cluster's record as the worker keeps it (this test's state directory). */
export function clusterRecord(): ClusterRecord {
  const cat = loadCatalogue();
  return testDeps.records.read(cat, findCluster(cat, CLUSTER));
}

export function kube(): Kube {
  return testDeps.kube(CLUSTER);
}

export async function nodes(): Promise<NodeState[]> {
  return (await kube().core.listNode()).items.map(nodeState);
}

/** The nodes the nginx pods run on. */
export async function nginxNodes(): Promise<string[]> {
  const pods = await kube().core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=nginx' });
  return pods.items.map((p) => p.spec?.nodeName ?? '');
}

export function setBudget(minAvailable: number): void {
  kubectl(cluster, ['patch', 'pdb', 'nginx-pdb', '--type=merge', '-p', JSON.stringify({ spec: { minAvailable } })]);
}

export async function startUpgrade(h: Harness, extra: Partial<UpgradeRequest> = {}): Promise<WorkflowHandle> {
  return await h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId: uniqueQueue('upgrade'),
    args: [{ cluster: CLUSTER, template: TARGET, drainTimeoutSeconds: 60, gateTimeoutSeconds: 60, ...extra }],
  });
}
