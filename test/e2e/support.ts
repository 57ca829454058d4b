/**
 * What the e2e tests share: the real local cluster (reseeded before each test), a fresh cluster
 * record (its entity in Temporal started anew), a real worker on the real dev server, and small waits
 * on the upgrade's status.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Kube } from '../../activities/kube/client.js';
import { nodeState } from '../../activities/kube/nodes.js';
import type { NodeState } from '../../model/kube.js';
import type { UpgradeRequest } from '../../model/upgrade.js';
import { clusterOptions, kubeconfigPath, kubectl, seed } from '../../localcluster/cluster.js';
import { forgetClients, type Harness, temporalAddress, testDeps, uniqueQueue } from '../support/temporal.js';
import { forgetEntities, recordOf } from '../support/cluster-entity.js';
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

let connected: Promise<Client> | undefined;
/** A client of the tests' own on the dev server (the harness's worker has its own). */
export const temporal = () =>
  (connected ??= Connection.connect({ address: temporalAddress() }).then(
    (connection) => new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }),
  ));

/** The seed's state again, and a fresh record (the cluster at CREATE_COMPLETE: its entity started anew). */
export async function freshCluster(): Promise<void> {
  process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-e2e-state-'));
  forgetClients();
  await forgetEntities(await temporal(), [CLUSTER]);
  await seed(cluster);
}

/** The test cluster's record as its entity in Temporal holds it (what `kru status` reads). */
export async function clusterRecord(): Promise<ClusterRecord> {
  return await recordOf(await temporal(), CLUSTER);
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
