/**
 * Which controllers the kube-controller-manager's CPU goes to: the seconds each of its work queues
 * has spent working, from its /metrics (open on loopback).
 */
import { get as httpsGet } from 'node:https';
import type { ClusterOptions } from '../../localcluster/cluster.js';

/** Seconds of work per work queue so far; empty when the metrics cannot be read. */
export function controllerWork(cluster: ClusterOptions): Promise<Map<string, number>> {
  const port = cluster.apiserverPort + 3; // localcluster/kwok.yaml: kubeControllerManagerPort
  return new Promise((resolve) => {
    const work = new Map<string, number>();
    const req = httpsGet(
      { host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          for (const m of text.matchAll(/^workqueue_work_duration_seconds_sum\{name="([^"]+)"\} (\S+)$/gm)) {
            work.set(m[1] ?? '', Number(m[2]));
          }
          resolve(work);
        });
      },
    );
    req.on('error', () => resolve(work));
    req.on('timeout', () => req.destroy());
  });
}

/** The `count` queues that worked the most between two readings, with their seconds. */
export function busiestControllers(
  before: Map<string, number>,
  after: Map<string, number>,
  count: number,
): (readonly [string, number])[] {
  return [...after]
    .map(([n, s]) => [n, s - (before.get(n) ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
}
