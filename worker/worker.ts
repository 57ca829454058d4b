/** Builds the worker: the bundled workflows and the activities on task queue `k8s-rolling-upgrade`. */
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { TASK_QUEUE } from '../config/temporal.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function createWorker(connection: NativeConnection, namespace: string, taskQueue = TASK_QUEUE) {
  return await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(),
  });
}
