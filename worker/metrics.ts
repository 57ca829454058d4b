/**
 * `--metrics-port [HOST:]PORT`: the SDK Runtime's Prometheus exporter serves /metrics there — the SDK's
 * own metrics (prefix temporal_) and the upgrade's (model/metrics.ts, emitted through the SDK's metric
 * meter by workflows and activities). One exporter on one port: workflow code can only reach the
 * Runtime's meter (replay-safe), so a second library would need sinks of its own to say the same.
 */
import type { MetricsExporterConfig } from '@temporalio/worker';
import { METRICS } from '../model/metrics.js';

/** Without a host the exporter listens on every interface (Prometheus scrapes the pod's address). */
const DEFAULT_HOST = '0.0.0.0';

/** `PORT` or `HOST:PORT` as the exporter's bind address; throws naming what is wrong. */
export function metricsAddress(value: string): string {
  const m = /^(?:(.+):)?(\d+)$/.exec(value.trim());
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--metrics-port must be a port (1-65535) or HOST:PORT, not "${value}"`);
  }
  const host = m[1] ?? DEFAULT_HOST;
  if (/\s|\//.test(host)) throw new Error(`--metrics-port: "${host}" is not a host name or address`);
  return `${host}:${port}`;
}

/** The Runtime's metrics settings for `bindAddress`: our histograms get their buckets (seconds). */
export function prometheusMetrics(bindAddress: string): MetricsExporterConfig {
  const buckets: Record<string, number[]> = {};
  for (const m of Object.values(METRICS)) if ('buckets' in m) buckets[m.name] = [...m.buckets];
  return { prometheus: { bindAddress, histogramBucketOverrides: buckets } };
}
