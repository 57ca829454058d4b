/**
 * The two drains bench/drain.ts compares, each as an operator would run it: ours (the cordonNode and
 * drainNode activities, run as Temporal would run them) and `kubectl drain --ignore-daemonsets
 * --delete-emptydir-data`. Each returns the evictions refused (429) and retried. And what each tool
 * spends a drain's phases on, to name the phase that dominates.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities/index.js';
import type { DrainResult } from '../../model/kube.js';

type Activities = ReturnType<typeof createActivities>;

export async function drainOurs(activities: Activities, cluster: string, node: string): Promise<number> {
  const env = new MockActivityEnvironment({ activityType: 'drainNode' });
  let refusals = 0;
  env.on('heartbeat', (d: { blocked?: { reason: string }[] }) => {
    refusals += d.blocked?.filter((b) => b.reason === 'budget').length ?? 0;
  });
  await env.run(activities.cordonNode, { cluster, node, upgradeId: 'bench-drain' });
  const result: DrainResult = await env.run(activities.drainNode, {
    cluster,
    node,
    deadline: Date.now() + 300_000,
    deleteEmptyDirData: true,
    force: false,
  });
  if (!result.drained) throw new Error(`our drain did not finish: ${JSON.stringify(result.blocked.slice(0, 5))}`);
  return refusals;
}

/** kubectl from the folder `bin`; its 429 retries are counted from its "will retry after" lines. */
export async function drainKubectl(bin: string, kubeconfig: string, node: string): Promise<number> {
  const args = ['--kubeconfig', kubeconfig, 'drain', node, '--ignore-daemonsets', '--delete-emptydir-data'];
  const child = spawn(join(bin, 'kubectl'), [...args, '--timeout=300s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`kubectl drain exited ${code}: ${stderr}`);
  return (stderr.match(/will retry after/g) ?? []).length;
}

export type Tool = 'ours' | 'kubectl';

/** The phases of a drain, as the pod watch splits it. */
export const PHASES = ['start', 'evicting', 'terminating', 'noticing'] as const;
export type Phase = (typeof PHASES)[number];

/** kubectl's client (client-go defaults, kubectl does not change them for API calls): 5 requests/s, burst 10. */
const KUBECTL_QPS = 5;
const KUBECTL_BURST = 10;

export interface DrainShape {
  pods: number;
  graceSeconds: number;
  /** ms between two accepted evictions */
  perEviction: number;
}

/** What a phase is made of, for each tool. */
export function explain(tool: Tool, phase: Phase, { pods, graceSeconds, perEviction }: DrainShape): string {
  const generic: Record<Phase, string> = {
    start: 'start-up before the first eviction (process start, cordon, listing the pods)',
    evicting: `issuing the ${pods} evictions`,
    terminating: `the pods' ${graceSeconds} s grace period (kwok holds each evicted pod that long)`,
    noticing: 'noticing the last pod is gone',
  };
  if (tool === 'ours') {
    if (phase === 'evicting')
      return (
        `issuing the ${pods} evictions, up to 10 in flight over one keep-alive connection pool, ` +
        `one accepted every ${perEviction.toFixed(0)} ms (the API server's pace: each eviction checks its ` +
        'budget and writes the budget and the pod to etcd)'
      );
    if (phase === 'noticing')
      return 'noticing the last pod is gone (a pod list every 500 ms while only terminating pods are left)';
  } else {
    if (phase === 'evicting')
      return (
        `issuing the ${pods} evictions, all at once but paced by kubectl's client-side rate limiter ` +
        `(${KUBECTL_QPS} requests/s, burst ${KUBECTL_BURST}: (${pods} − ${KUBECTL_BURST}) / ${KUBECTL_QPS} = ` +
        `${((pods - KUBECTL_BURST) / KUBECTL_QPS).toFixed(0)} s at least)`
      );
    if (phase === 'noticing')
      return 'noticing the last pod is gone (a GET per pod every 1 s, through the same rate limiter)';
  }
  return generic[phase];
}
