/** Builds the worker: the bundled workflows and the activities on task queue `k8s-rolling-upgrade`. */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, type LogLevel, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { TASK_QUEUE } from '../config/temporal.js';

let runtimeInstalled = false;

/** Sets the SDK's log level once per process (before any connection or worker is made). */
export function quietRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}

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
