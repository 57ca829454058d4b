/** The worker process: `npm run worker`. Connection settings come from the environment (see README). */
import { connectWorker, temporalSettings } from '../config/temporal.js';
import { createWorker, quietRuntime } from './worker.js';

quietRuntime((process.env.K8S_RU_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO');
const settings = temporalSettings();
const connection = await connectWorker(settings);
const worker = await createWorker(connection, settings.namespace, process.env.K8S_RU_TASK_QUEUE);
console.log(`worker: polling task queue ${worker.options.taskQueue} on ${settings.address} (${settings.namespace})`);
await worker.run();
await connection.close();
