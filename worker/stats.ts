/** One line on what a worker holds: cached workflows, running activities, and the process's memory. */
import type { Worker } from '@temporalio/worker';

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

export function workerStats(worker: Pick<Worker, 'getStatus'>): string {
  const s = worker.getStatus();
  const m = process.memoryUsage();
  return (
    `cached workflows ${s.numCachedWorkflows}, activities ${s.numInFlightNonLocalActivities} ` +
    `(+${s.numInFlightLocalActivities} local), workflow activations ${s.numInFlightWorkflowActivations}; ` +
    `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}`
  );
}
