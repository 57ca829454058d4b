/**
 * The upgrade's metrics emitted from activities, through the activity's metric meter (the worker's
 * Runtime exports them on `--metrics-port`). Outside an activity (a unit test calling the domain code)
 * nothing is emitted.
 */
import { Context } from '@temporalio/activity';
import { type MetricMeter, noopMetricMeter } from '@temporalio/common';
import type { GateResult } from '../model/kube.js';
import { METRICS } from '../model/metrics.js';

function meter(): MetricMeter {
  try {
    return Context.current().metricMeter;
  } catch {
    return noopMetricMeter;
  }
}

/** An eviction the API server refused because of `budget` (namespace/name, or several joined). */
export function countRefusedEviction(cluster: string, budget: string | undefined): void {
  const m = METRICS.evictionsRefused;
  meter()
    .createCounter(m.name, undefined, m.help)
    .add(1, { cluster, budget: budget ?? 'unknown' });
}

/** A gate that ended unhealthy: each failed check counted by its kind (a probe without its URL). */
export function countGateFailures(cluster: string, result: GateResult): void {
  if (result.healthy) return;
  const m = METRICS.gateFailures;
  const counter = meter().createCounter(m.name, undefined, m.help);
  for (const c of result.checks) if (!c.ok) counter.add(1, { cluster, check: c.name.split(' ')[0] ?? c.name });
}
