/**
 * The worker process: `npm run worker -- [options]` (`--help` lists them). Every setting is read once,
 * here, from its flag or its variable (the flag wins), and handed to the worker and its activities.
 * The Temporal connection comes from the connection flags, TEMPORAL_* variables and the profile.
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STATE_DIR, workerDeps } from '../activities/deps.js';
import { catalogueOption, connectionFlags, connectionOptions, taskQueueOption } from '../config/flags.js';
import { connectWorker, temporalSettings } from '../config/temporal.js';
import {
  checkVersionFlags,
  DEFAULT_DEPLOYMENT_NAME,
  routingText,
  settleRouting,
  versioningVariable,
  workerVersion,
} from './deployment.js';
import { healthPort, serveHealth } from './health.js';
import { LOG_FORMATS, type LogFormat } from './logging.js';
import { metricsAddress, prometheusMetrics } from './metrics.js';
import { requireSearchAttributes } from './search-attributes.js';
import { workerStats } from './stats.js';
import { tracing } from './tracing.js';
import { createWorker, quietRuntime } from './worker.js';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
/** Long enough for a replacement command to finish (a machine rebuilt and booted). */
const DEFAULT_SHUTDOWN_GRACE = 900;

interface WorkerFlags {
  taskQueue: string;
  catalogue: string;
  stateDir: string;
  workflowBundle?: string;
  statsEvery?: string;
  shutdownGrace: string;
  healthPort?: number;
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logFormat: LogFormat;
  versioning: boolean;
  deploymentName: string;
  buildId?: string;
  metricsPort?: string;
}

const program = connectionFlags(new Command('k8s-rolling-upgrade-worker').description('the k8s-rolling-upgrade worker'))
  .addOption(taskQueueOption())
  .addOption(catalogueOption())
  .addOption(
    new Option(
      '--state-dir <dir>',
      "this host's run files of replacement commands (per host by nature; cluster records live in Temporal)",
    )
      .env('K8S_RU_STATE_DIR')
      .default(DEFAULT_STATE_DIR, '.run/state'),
  )
  .addOption(
    new Option(
      '--workflow-bundle <file>',
      'workflow code bundled ahead by `npm run bundle` (else bundled at start)',
    ).env('K8S_RU_WORKFLOW_BUNDLE'),
  )
  .addOption(
    new Option('--stats-every <seconds>', 'print cached workflows, running activities and memory every so often').env(
      'K8S_RU_WORKER_STATS_EVERY',
    ),
  )
  .addOption(
    new Option(
      '--shutdown-grace <seconds>',
      'on SIGTERM, how long running activities (a node replacement) may go on before they are cancelled',
    )
      .env('K8S_RU_SHUTDOWN_GRACE')
      .default(String(DEFAULT_SHUTDOWN_GRACE)),
  )
  .addOption(
    new Option('--health-port <port>', 'serve /healthz (process up) and /readyz (polling) on this port')
      .argParser(healthPort)
      .env('K8S_RU_HEALTH_PORT'),
  )
  .addOption(
    new Option('--log-level <level>', "the SDK's log level")
      .argParser((value) => {
        const level = value.toUpperCase();
        if (!LOG_LEVELS.includes(level)) {
          throw new InvalidArgumentError(`the log level is one of ${LOG_LEVELS.join(', ')} (any case), not "${value}"`);
        }
        return level;
      })
      .env('K8S_RU_LOG_LEVEL')
      .default('INFO'),
  )
  .addOption(
    new Option('--log-format <format>', 'text, or json: one object per line with cluster, upgradeId, node and step')
      .choices(LOG_FORMATS)
      .env('K8S_RU_LOG_FORMAT')
      .default('text'),
  )
  .addOption(
    new Option(
      '--metrics-port <[host:]port>',
      "serve Prometheus metrics (the SDK's and the upgrade's) on /metrics there (off by default)",
    )
      .argParser(metricsAddress)
      .env('K8S_RU_METRICS_PORT'),
  );

program
  .addOption(
    new Option('--deployment-name <name>', 'the Worker Deployment this worker is a version of')
      .env('K8S_RU_DEPLOYMENT_NAME')
      .default(DEFAULT_DEPLOYMENT_NAME),
  )
  .addOption(
    new Option(
      '--build-id <id>',
      "this worker's version in the deployment (default: the package version and a hash of the workflow bundle)",
    ).env('K8S_RU_BUILD_ID'),
  )
  .addOption(
    new Option(
      '--no-versioning',
      'run unversioned: running upgrades move to whatever code the workers run (env: K8S_RU_VERSIONING=off)',
    ),
  );

program.action(async (opts: WorkerFlags) => {
  const versioning = { ...opts, versioning: opts.versioning && versioningVariable(process.env.K8S_RU_VERSIONING) };
  checkVersionFlags(versioning);
  const every = opts.statsEvery === undefined ? 0 : Number(opts.statsEvery);
  if (!(every >= 0)) throw new Error(`--stats-every must be a number of seconds >= 0 (got ${opts.statsEvery})`);
  const grace = Number(opts.shutdownGrace);
  if (opts.shutdownGrace.trim() === '' || !(grace >= 0) || !Number.isFinite(grace))
    throw new Error(`--shutdown-grace must be a number of seconds >= 0 (got "${opts.shutdownGrace}")`);
  if (opts.workflowBundle && !existsSync(opts.workflowBundle))
    throw new Error(`workflow bundle ${opts.workflowBundle} does not exist (make it with \`npm run bundle\`)`);
  quietRuntime(opts.logLevel, {
    logFormat: opts.logFormat,
    metrics: opts.metricsPort ? prometheusMetrics(opts.metricsPort) : undefined,
  });
  const traces = tracing();
  const health = opts.healthPort === undefined ? undefined : await serveHealth(opts.healthPort);
  if (health) console.log(`worker: health checks on port ${health.port} (/healthz, /readyz)`);
  const deps = workerDeps({ catalogue: opts.catalogue, stateDir: opts.stateDir });
  const settings = temporalSettings(connectionOptions(opts as unknown as Record<string, unknown>));
  const connection = await connectWorker(settings);
  await requireSearchAttributes(connection, settings.namespace);
  const { version, workflowBundle } = await workerVersion(versioning, opts.workflowBundle);
  const worker = await createWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle,
    version,
    deps,
    shutdownGraceSeconds: grace,
    tracing: traces,
  });
  health?.follow(worker);
  const running = worker.run();
  running.catch(() => undefined); // awaited below; not unhandled while the routing is settled
  // the version registers with the first poll; its routing is told before the worker says it polls
  if (version) {
    const routing = await settleRouting(connection, settings.namespace, version, worker.options.identity).then(
      (r) => routingText(version, r),
      (err: unknown) => `build ${version.buildId}: its routing is unknown (${(err as Error).message})`,
    );
    console.log(`worker: ${routing}`);
  }
  console.log(`worker: polling task queue ${worker.options.taskQueue} on ${settings.address} (${settings.namespace})`);
  if (opts.metricsPort) console.log(`worker: Prometheus metrics on http://${opts.metricsPort}/metrics`);
  if (traces.endpoint) console.log(`worker: traces exported over OTLP/HTTP to ${traces.endpoint}`);
  const stats =
    every > 0 ? setInterval(() => console.log(`worker: ${workerStats(worker)}`), every * 1000).unref() : undefined;
  await running;
  clearInterval(stats);
  await traces.shutdown();
  await health?.close();
  deps.close();
  await connection.close();
});
try {
  await program.parseAsync();
} catch (err) {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
}
