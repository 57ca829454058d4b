/** Builds the worker: the bundled workflows and the activities on task queue `k8s-rolling-upgrade`. */
import { join } from 'node:path';
import { ROOT } from '../config/root.js';
import { DefaultLogger, type LogLevel, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { TASK_QUEUE } from '../config/temporal.js';

let runtimeInstalled = false;

/** The last log lines of this process's SDK (tests scan them for leaked credentials). */
export const recentLogs: string[] = [];

/** Sets the SDK's log level once per process (before any connection or worker is made). */
export function quietRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const print = new DefaultLogger(level);
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      recentLogs.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`);
      if (recentLogs.length > 5000) recentLogs.shift();
      print.log(entry.level, entry.message, entry.meta);
    }),
  });
}

/** The workflows' TypeScript entry point (bundled by webpack, also from the compiled worker). */
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');

/**
 * `workflowBundle`: a file made by `npm run bundle`; without one the worker bundles the workflows
 * itself (webpack, in this process) before it polls.
 */
export async function createWorker(
  connection: NativeConnection,
  namespace: string,
  taskQueue = TASK_QUEUE,
  workflowBundle?: string,
) {
  return await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle: { codePath: workflowBundle } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(),
  });
}
