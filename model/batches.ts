/** How many workers go at once: the workflow's batches, the plan's estimate and the scale bench agree on it. */
import type { UpgradeOptions } from './upgrade.js';

/** Worker batch size for `maxUnavailable` (a count or "N%" of the workers; at least 1). */
export function batchSize(maxUnavailable: number | string, workers: number): number {
  if (typeof maxUnavailable === 'number') return Math.max(1, Math.floor(maxUnavailable));
  const m = /^(\d+(?:\.\d+)?)%$/.exec(maxUnavailable.trim());
  if (!m) return Math.max(1, Math.floor(Number(maxUnavailable)) || 1);
  return Math.max(1, Math.floor((Number(m[1]) / 100) * workers));
}

/** By surge capacity never drops: batches of maxSurge new nodes; in place, of maxUnavailable. */
export function workerBatchSize(options: Pick<UpgradeOptions, 'maxSurge' | 'maxUnavailable'>, workers: number): number {
  return options.maxSurge > 0 ? options.maxSurge : batchSize(options.maxUnavailable, workers);
}
