/**
 * The worker process: `npm run worker -- [--address …] [--namespace …] [--tls-ca …] [--tls-cert …]
 * [--tls-key …] [--api-key …]`; each flag overrides its TEMPORAL_* environment variable (see README).
 */
import { Command } from 'commander';
import { connectionFlags } from '../config/flags.js';
import { connectWorker, temporalSettings } from '../config/temporal.js';
import { requireSearchAttributes } from './search-attributes.js';
import { createWorker, quietRuntime } from './worker.js';

const program = connectionFlags(
  new Command('k8s-rolling-upgrade-worker').description('the k8s-rolling-upgrade worker'),
);
program.action(async () => {
  quietRuntime((process.env.K8S_RU_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO');
  const settings = temporalSettings();
  const connection = await connectWorker(settings);
  await requireSearchAttributes(connection, settings.namespace);
  const worker = await createWorker(connection, settings.namespace, process.env.K8S_RU_TASK_QUEUE);
  console.log(`worker: polling task queue ${worker.options.taskQueue} on ${settings.address} (${settings.namespace})`);
  await worker.run();
  await connection.close();
});
try {
  await program.parseAsync();
} catch (err) {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
}
