/**
 * What the e2e tests share: the real local cluster (reseeded before each test), a fresh cluster
 * record, a real worker on the real dev server, and small waits on the upgrade's status.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { forgetClients, kubeFor, type Kube } from '../../activities/kube/client.js';
import { nodeState } from '../../activities/kube/nodes.js';
import type { NodeState } from '../../model/kube.js';
import type { UpgradeStatus } from '../../model/status.js';
import type { UpgradeRequest } from '../../model/upgrade.js';
import { clusterOptions, kubeconfigPath, kubectl, seed } from '../cluster/cluster.js';
import { devServer, testWorker, uniqueQueue } from '../support/temporal.js';

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

export function kube(): Kube {
  return kubeFor(CLUSTER);
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

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  taskQueue: string;
  worker?: Worker;
  running?: Promise<void>;
}

export async function harness(withWorker = true): Promise<Harness> {
  const env = await devServer();
  const h: Harness = { env, client: env.client, taskQueue: uniqueQueue('e2e') };
  if (withWorker) {
    h.worker = await testWorker(env, h.taskQueue);
    h.running = h.worker.run();
  }
  return h;
}

export async function closeHarness(h: Harness): Promise<void> {
  if (h.worker) {
    h.worker.shutdown();
    await h.running;
  }
  await h.env.teardown();
}

export async function startUpgrade(h: Harness, extra: Partial<UpgradeRequest> = {}): Promise<WorkflowHandle> {
  return await h.client.workflow.start('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId: uniqueQueue('upgrade'),
    args: [{ cluster: CLUSTER, template: TARGET, drainTimeoutSeconds: 60, gateTimeoutSeconds: 60, ...extra }],
  });
}

/** Polls the status query until `ok` holds (or fails the test after `timeoutMs`). */
export async function until(
  handle: WorkflowHandle,
  what: string,
  ok: (s: UpgradeStatus) => boolean,
  timeoutMs = 90_000,
): Promise<UpgradeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: UpgradeStatus | undefined;
  for (;;) {
    try {
      last = await handle.query<UpgradeStatus>('status');
      if (ok(last)) return last;
    } catch {
      // not answering yet (worker restarting)
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** The workflow's result, or a failure carrying its last status when it takes longer than `timeoutMs`. */
export async function resultWithin(handle: WorkflowHandle, timeoutMs = 180_000): Promise<UpgradeStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      handle
        .query<UpgradeStatus>('status')
        .then((s) => reject(new Error(`no result after ${timeoutMs / 1000} s; status: ${JSON.stringify(s)}`)))
        .catch((err: unknown) => reject(new Error(`no result after ${timeoutMs / 1000} s (${String(err)})`)));
    }, timeoutMs);
  });
  try {
    return (await Promise.race([handle.result(), timeout])) as UpgradeStatus;
  } finally {
    clearTimeout(timer);
  }
}
