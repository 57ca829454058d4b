/** Builds the worker: the bundled workflows and the activities, given their dependencies, on one task queue. */
import { join } from 'node:path';
import { ROOT } from '../config/root.js';
import { DefaultLogger, type LogLevel, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps.js';
import { createActivities } from '../activities/index.js';
import { DEFAULT_TASK_QUEUE } from '../config/temporal.js';
import { reachInterceptor } from './reach.js';

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

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Default `k8s-rolling-upgrade`. */
  taskQueue?: string;
  /** A file made by `npm run bundle`; without one the worker bundles the workflows itself (webpack, in this process) before it polls. */
  workflowBundle?: string;
  /** What the activities use: the catalogue, API clients, the record store (see activities/deps.ts). */
  deps: ActivityDeps;
  /** How long running activities may go on after shutdown is asked (SIGTERM) before they are cancelled; default 0. */
  shutdownGraceSeconds?: number;
}

export async function createWorker(o: WorkerOptions) {
  return await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(o.workflowBundle ? { workflowBundle: { codePath: o.workflowBundle } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(o.deps),
    interceptors: { activity: [reachInterceptor] },
    shutdownGraceTime: (o.shutdownGraceSeconds ?? 0) * 1000,
  });
}
