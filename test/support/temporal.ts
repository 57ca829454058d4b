/**
 * Test access to the real Temporal dev server that scripts/test.sh started (scripts/temporal-server.sh):
 * a TestWorkflowEnvironment on it and a real worker on a task queue of the test's own.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DEFAULT_CATALOGUE, loadCatalogue } from '../../activities/catalogue/load.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { Activities } from '../../activities/index.js';
import { kubeClients } from '../../activities/kube/client.js';
import type { UpgradeStatus } from '../../model/status.js';
import { createWorker, quietRuntime, WORKFLOWS_PATH } from '../../worker/worker.js';
import { forgetEntities } from './cluster-entity.js';

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test` (it starts the Temporal dev server)');
  }
  return address;
}

export async function devServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime('WARN');
  return await TestWorkflowEnvironment.createFromExistingServer({
    address: temporalAddress(),
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
}

/**
 * The activities' dependencies as the tests set them: the catalogue file named by K8S_RU_CATALOGUE
 * when used (tests switch it between cases, while their worker runs). API clients are rebuilt when a
 * cluster's kubeconfig changes. The records live in Temporal: the worker brings its own client.
 */
const catalogue = () => loadCatalogue(process.env.K8S_RU_CATALOGUE ?? DEFAULT_CATALOGUE);
const clients = kubeClients(catalogue);
export const testDeps: ActivityDeps = {
  catalogue,
  kube: (cluster) => clients.kube(cluster),
};

/** Closes the API clients' connections (the next use opens new ones). */
export const forgetClients = () => clients.close();

export function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function testWorker(env: TestWorkflowEnvironment, taskQueue: string): Promise<Worker> {
  return await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: testDeps,
  });
}

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  taskQueue: string;
  worker?: Worker;
  running?: Promise<void>;
}

/**
 * The dev server plus, unless `worker` is false, a running worker on a task queue of its own: the real
 * activities, or the given (mocked) ones. The catalogue's clusters start with fresh entities.
 */
export async function harness(worker: boolean | Partial<Activities> = true, prefix = 'test'): Promise<Harness> {
  const env = await devServer();
  await forgetEntities(env.client);
  const h: Harness = { env, client: env.client, taskQueue: uniqueQueue(prefix) };
  if (worker === true) h.worker = await testWorker(env, h.taskQueue);
  else if (worker) {
    h.worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: h.taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: worker,
    });
  }
  h.running = h.worker?.run();
  return h;
}

export async function closeHarness(h: Harness): Promise<void> {
  if (h.worker) {
    h.worker.shutdown();
    await h.running;
  }
  await h.env.teardown();
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
