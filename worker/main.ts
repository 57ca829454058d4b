/**
 * The worker process: `npm run worker -- [--workflow-bundle FILE] [--address …] [--namespace …]
 * [--tls-ca …] [--tls-cert …] [--tls-key …] [--api-key …]`; each connection flag overrides its
 * TEMPORAL_* environment variable (see README).
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { connectionFlags } from '../config/flags.js';
import { connectWorker, temporalSettings } from '../config/temporal.js';
import { requireSearchAttributes } from './search-attributes.js';
import { workerStats } from './stats.js';
import { createWorker, quietRuntime } from './worker.js';

const program = connectionFlags(
  new Command('k8s-rolling-upgrade-worker')
    .description('the k8s-rolling-upgrade worker')
    .option(
      '--workflow-bundle <file>',
      'workflow code bundled ahead by `npm run bundle` (else bundled at start) [env K8S_RU_WORKFLOW_BUNDLE]',
      process.env.K8S_RU_WORKFLOW_BUNDLE,
    )
    .option(
      '--stats-every <seconds>',
      'print cached workflows, running activities and memory every so often [env K8S_RU_WORKER_STATS_EVERY]',
      process.env.K8S_RU_WORKER_STATS_EVERY,
    ),
);
program.action(async (opts: { workflowBundle?: string; statsEvery?: string }) => {
  const every = opts.statsEvery === undefined ? 0 : Number(opts.statsEvery);
  if (!(every >= 0)) throw new Error(`--stats-every must be a number of seconds >= 0 (got ${opts.statsEvery})`);
  if (opts.workflowBundle && !existsSync(opts.workflowBundle))
    throw new Error(`workflow bundle ${opts.workflowBundle} does not exist (make it with \`npm run bundle\`)`);
  quietRuntime((process.env.K8S_RU_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO');
  const settings = temporalSettings();
  const connection = await connectWorker(settings);
  await requireSearchAttributes(connection, settings.namespace);
  const worker = await createWorker(connection, settings.namespace, process.env.K8S_RU_TASK_QUEUE, opts.workflowBundle);
  console.log(`worker: polling task queue ${worker.options.taskQueue} on ${settings.address} (${settings.namespace})`);
  const stats =
    every > 0 ? setInterval(() => console.log(`worker: ${workerStats(worker)}`), every * 1000).unref() : undefined;
  await worker.run();
  clearInterval(stats);
  await connection.close();
});
try {
  await program.parseAsync();
} catch (err) {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
}
