/** Builds the worker: the bundled workflows and the activities, given their dependencies, on one task queue. */
import { join } from 'node:path';
import { ROOT } from '../config/root.js';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  type MetricsExporterConfig,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkerDeploymentOptions,
} from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/deps.js';
import { createActivities } from '../activities/index.js';
import { DEFAULT_TASK_QUEUE } from '../config/temporal.js';
import { jsonConsole, type LogFormat, loggingInterceptor, logWriter } from './logging.js';
import { reachInterceptor } from './reach.js';
import { TRACING_WORKFLOW_MODULE, type Tracing, tracing } from './tracing.js';

let runtimeInstalled = false;

/** The last log lines of this process's SDK (tests scan them for leaked credentials). */
export const recentLogs: string[] = [];

export interface Telemetry {
  /** the Runtime's Prometheus exporter (worker/metrics.ts), off when undefined */
  metrics?: MetricsExporterConfig;
  /** text (the SDK's format) or json (worker/logging.ts); default text */
  logFormat?: LogFormat;
}

/**
 * Installs the SDK's Runtime once per process (before any connection or worker is made): its log
 * level and format, and its metrics exporter. The Runtime's core logs are forwarded to the same logger.
 */
export function quietRuntime(level: LogLevel = 'WARN', telemetry: Telemetry = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const print = new DefaultLogger(level);
  const write = logWriter(telemetry.logFormat ?? 'text', (entry) => print.log(entry.level, entry.message, entry.meta));
  if (telemetry.logFormat === 'json') jsonConsole();
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      recentLogs.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`);
      if (recentLogs.length > 5000) recentLogs.shift();
      write(entry);
    }),
    telemetryOptions: {
      // The core's lines as in text format (WARN and above), through the logger instead of straight out.
      ...(telemetry.logFormat === 'json' ? { logging: { forward: {} } } : {}),
      ...(telemetry.metrics ? { metrics: telemetry.metrics } : {}),
    },
  });
}

/** The workflows' TypeScript entry point (bundled by webpack, also from the compiled worker). */
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');

/** Bundled with the workflows (here and by `npm run bundle`): trace spans, and log lines' attributes. */
export const WORKFLOW_INTERCEPTOR_MODULES = [TRACING_WORKFLOW_MODULE, join(ROOT, 'workflows', 'log-attributes.ts')];

/** The workflows bundled in this process, exactly as `npm run bundle` bundles them. */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    // webpack's lines through the Runtime's logger once installed (one format: --log-format json)
    logger: runtimeInstalled ? Runtime.instance().logger : undefined,
  });
  return code;
}

/** A versioned worker's options: its workflows are PINNED to its version unless their code says otherwise. */
export function deploymentOptions(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' };
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Default `k8s-rolling-upgrade`. */
  taskQueue?: string;
  /**
   * A file made by `npm run bundle`, or bundled code (`bundleWorkflows`); without one the worker bundles
   * the workflows itself (webpack, in this process) before it polls.
   */
  workflowBundle?: string | { code: string };
  /**
   * The Worker Deployment version this worker runs as (worker/deployment.ts): its workflows are PINNED
   * to it unless their code says AUTO_UPGRADE. Without one the worker is unversioned.
   */
  version?: WorkerDeploymentVersion;
  /** The worker's identity in histories; default the SDK's (pid@host). */
  identity?: string;
  /**
   * What the activities use: the catalogue, API clients (see activities/deps.ts), and a Temporal client
   * for the clusters' entities (one on `connection` when the deps bring none).
   */
  deps: ActivityDeps;
  /** How long running activities may go on after shutdown is asked (SIGTERM) before they are cancelled; default 0. */
  shutdownGraceSeconds?: number;
  /** Where spans go (worker/tracing.ts); default: as OTEL_EXPORTER_OTLP_ENDPOINT says, dropped without it. */
  tracing?: Tracing;
}

export async function createWorker(o: WorkerOptions) {
  const traces = o.tracing ?? tracing();
  return await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(typeof o.workflowBundle === 'string'
      ? { workflowBundle: { codePath: o.workflowBundle } }
      : o.workflowBundle
        ? { workflowBundle: o.workflowBundle }
        : { workflowsPath: WORKFLOWS_PATH }),
    ...(o.version ? { workerDeploymentOptions: deploymentOptions(o.version) } : {}),
    ...(o.identity ? { identity: o.identity } : {}),
    activities: createActivities({
      ...o.deps,
      temporal: o.deps.temporal ?? new Client({ connection: o.connection, namespace: o.namespace }),
    }),
    interceptors: {
      activity: [loggingInterceptor, traces.activity, reachInterceptor],
      // a bundle made ahead has them inside (bundleWorkflows, npm run bundle): only a start-time bundle takes them here
      ...(o.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
    },
    sinks: traces.sinks,
    shutdownGraceTime: (o.shutdownGraceSeconds ?? 0) * 1000,
  });
}
