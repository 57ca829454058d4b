/** The worker process: `npm run worker`. Connection settings come from the environment (see README). */
import { connectWorker, temporalSettings } from '../config/temporal.js';
import { createWorker } from './worker.js';

const settings = temporalSettings();
const connection = await connectWorker(settings);
const worker = await createWorker(connection, settings.namespace);
console.log(`worker: polling task queue ${worker.options.taskQueue} on ${settings.address} (${settings.namespace})`);
await worker.run();
await connection.close();
