/**
 * Benchmark: our drain (the drainNode activity, Eviction API) against `kubectl drain --ignore-daemonsets
 * --delete-emptydir-data` (kubectl built from the cluster's own Kubernetes release), on one kwok node
 * holding 110 pods: 10 Deployments × 11 replicas, each under a PodDisruptionBudget that lets every
 * eviction through (maxUnavailable 11), every pod with the same grace period (2 s: kwok holds a deleted
 * pod for exactly that long), some with emptyDir volumes, plus the node-agent DaemonSet pod both skip.
 * The Deployments' replacements can only go to that node, so they wait Pending while it is cordoned.
 *
 * Runs alternate (ours, kubectl, ours, …; one untimed warm-up each first). Each timed run is cordon +
 * drain, as `kubectl drain` does both: from the start until the call returns with no evictable pod left
 * on the node. Between runs the node is uncordoned and we wait for its 110 pods to be Running/Ready
 * again and every budget to allow 11 disruptions. A watch on the node's pods splits each run into:
 * start (until the first eviction is accepted), evicting (first to last accepted), terminating (last
 * accepted to last pod gone: the grace period) and noticing (last pod gone to the call's return).
 *
 *   npm run bench:drain [-- RUNS]     (RUNS of each tool, default 5)
 */
import { spawn } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { type V1Pod, Watch } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities/index.js';
import { kubeFor } from '../activities/kube/client.js';
import type { DrainResult } from '../model/kube.js';
import { nodeManifest } from '../localcluster/nodes.js';
import { binaries, clusterOptions, down, kubeconfigPath, kubectl, up } from '../localcluster/cluster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new Error(`usage: npm run bench:drain [-- RUNS], got ${process.argv[2]}`);
const CLUSTER = 'k8s-upgrade-test';
const NODE = 'bench-drain-node';
const NS = 'bench-drain';
const DEPLOYMENTS = 10;
const REPLICAS = 11;
const PODS = DEPLOYMENTS * REPLICAS; // 110
const GRACE_S = 2;
const TAINT = 'bench.k8s-rolling-upgrade/drain';

const cluster = clusterOptions({
  dir: join(root, '.run/bench/drain-cluster'),
  apiserverPort: 33443,
  podReadyMs: 500,
  layout: { cluster: CLUSTER, masters: 1, workers: 1, kubeletVersion: 'v1.11.9' },
});
process.env.K8S_RU_CATALOGUE = join(root, 'test/fixtures/catalogue.yaml');
process.env.K8S_RU_KUBECONFIG = kubeconfigPath(cluster);

type Tool = 'ours' | 'kubectl';
interface Run {
  tool: Tool;
  total: number;
  /** phases, seconds */
  start: number;
  evicting: number;
  terminating: number;
  noticing: number;
  /** evictions refused (429) and retried */
  refusals: number;
}

const s = (ms: number) => ms / 1000;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

function workloads() {
  const items: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      ...nodeManifest(NODE, 'worker', 'v1.11.9', 50),
      spec: { taints: [{ key: TAINT, effect: 'NoSchedule' }] },
    },
  ];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const app = `bench-${i}`;
    items.push(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: app, namespace: NS },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app } },
          template: {
            metadata: { labels: { app } },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': NODE },
              tolerations: [{ key: TAINT, operator: 'Exists', effect: 'NoSchedule' }],
              terminationGracePeriodSeconds: GRACE_S,
              containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
              // Half of them with scratch space: both tools are told to evict those too.
              volumes: i % 2 === 0 ? [{ name: 'scratch', emptyDir: {} }] : undefined,
            },
          },
        },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: app, namespace: NS },
        spec: { maxUnavailable: REPLICAS, selector: { matchLabels: { app } } },
      },
    );
  }
  return { apiVersion: 'v1', kind: 'List', items };
}

/** The node gets 250 pod slots (110 + the DaemonSet's + headroom); nodeManifest gives 110. */
function createNode(): void {
  const list = workloads();
  const node = list.items[1] as ReturnType<typeof nodeManifest>;
  const slots = { cpu: '64', memory: '256Gi', pods: '250' };
  node.status = { ...node.status, capacity: slots, allocatable: slots };
  kubectl(cluster, ['create', '-f', '-'], JSON.stringify(node));
  kubectl(cluster, ['apply', '-f', '-'], JSON.stringify({ ...list, items: list.items.filter((x) => x !== node) }));
}

const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const fromDaemonSet = (p: V1Pod) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') === true;

/** Uncordons the node and waits for 110 Ready pods on it, nothing else in the namespace, budgets refreshed. */
async function reset(): Promise<void> {
  const k = kubeFor(CLUSTER);
  kubectl(cluster, [
    'patch',
    'node',
    NODE,
    '--type=merge',
    '-p',
    JSON.stringify({
      spec: { unschedulable: null },
      metadata: { annotations: { 'k8s-rolling-upgrade/cordoned-by': null } },
    }),
  ]);
  await waitFor(
    `${PODS} Ready pods on ${NODE} and every budget allowing ${REPLICAS} disruptions`,
    180_000,
    async () => {
      const pods = (await k.core.listNamespacedPod({ namespace: NS })).items;
      if (pods.length !== PODS || !pods.every((p) => isReady(p) && p.spec?.nodeName === NODE)) return false;
      const pdbs = (await k.policy.listNamespacedPodDisruptionBudget({ namespace: NS })).items;
      return (
        pdbs.length === DEPLOYMENTS &&
        pdbs.every(
          (b) =>
            b.status?.observedGeneration === b.metadata?.generation &&
            b.status?.currentHealthy === REPLICAS &&
            b.status?.disruptionsAllowed === REPLICAS &&
            Object.keys(b.status?.disruptedPods ?? {}).length === 0,
        )
      );
    },
  );
}

/** Times of the node's pod events during one run: eviction accepted (deletionTimestamp set), pod gone. */
class PodClock {
  evicted = new Map<string, number>();
  gone = new Map<string, number>();
  private abort?: AbortController;

  async start(): Promise<void> {
    let replayed = 0;
    const seen = new Promise<void>((resolve) => {
      void new Watch(kubeFor(CLUSTER).config)
        .watch(
          `/api/v1/namespaces/${NS}/pods`,
          { fieldSelector: `spec.nodeName=${NODE}`, allowWatchBookmarks: false },
          (type, pod: V1Pod) => {
            const uid = pod.metadata?.uid ?? '';
            const now = Date.now();
            if (pod.metadata?.deletionTimestamp && !this.evicted.has(uid)) this.evicted.set(uid, now);
            if (type === 'DELETED') this.gone.set(uid, now);
            if (type === 'ADDED' && ++replayed === PODS) resolve();
          },
          () => undefined,
        )
        .then((a) => (this.abort = a));
    });
    // The watch first replays the namespace's 110 pods on the node as ADDED: then it is live.
    await Promise.race([
      seen,
      sleep(30_000, undefined, { ref: false }).then(() =>
        Promise.reject(new Error('the pod watch did not start within 30 s')),
      ),
    ]);
    this.evicted.clear();
    this.gone.clear();
  }

  stop(): void {
    this.abort?.abort();
  }
}

async function podsLeftOnNode(): Promise<string[]> {
  const pods = (await kubeFor(CLUSTER).core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE}` })).items;
  return pods.filter((p) => !fromDaemonSet(p)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
}

const activities = createActivities();

async function drainOurs(): Promise<number> {
  const env = new MockActivityEnvironment({ activityType: 'drainNode' });
  let refusals = 0;
  env.on('heartbeat', (d: { blocked?: { reason: string }[] }) => {
    refusals += d.blocked?.filter((b) => b.reason === 'budget').length ?? 0;
  });
  await env.run(activities.cordonNode, { cluster: CLUSTER, node: NODE, upgradeId: 'bench-drain' });
  const result: DrainResult = await env.run(activities.drainNode, {
    cluster: CLUSTER,
    node: NODE,
    deadline: Date.now() + 300_000,
    deleteEmptyDirData: true,
    force: false,
  });
  if (!result.drained) throw new Error(`our drain did not finish: ${JSON.stringify(result.blocked.slice(0, 5))}`);
  return refusals;
}

async function drainKubectl(bin: string): Promise<number> {
  const args = [
    '--kubeconfig',
    kubeconfigPath(cluster),
    'drain',
    NODE,
    '--ignore-daemonsets',
    '--delete-emptydir-data',
  ];
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

async function timed(tool: Tool, bin: string): Promise<Run> {
  const clock = new PodClock();
  await clock.start();
  const t0 = Date.now();
  const refusals = tool === 'ours' ? await drainOurs() : await drainKubectl(bin);
  const t1 = Date.now();
  clock.stop();
  const left = await podsLeftOnNode();
  if (left.length > 0) throw new Error(`${tool}: pods left on ${NODE} after the drain: ${left.join(', ')}`);
  const evicted = [...clock.evicted.values()];
  const gone = [...clock.gone.values()];
  if (evicted.length !== PODS) console.warn(`  (${tool}: the watch saw ${evicted.length} evictions of ${PODS})`);
  const firstEvicted = Math.min(...evicted);
  const lastEvicted = Math.max(...evicted);
  const lastGone = Math.min(t1, Math.max(...gone));
  return {
    tool,
    total: s(t1 - t0),
    start: s(firstEvicted - t0),
    evicting: s(lastEvicted - firstEvicted),
    terminating: s(lastGone - lastEvicted),
    noticing: s(t1 - lastGone),
    refusals,
  };
}

const PHASES = ['start', 'evicting', 'terminating', 'noticing'] as const;
type Phase = (typeof PHASES)[number];
/** kubectl's client (client-go defaults, kubectl does not change them for API calls): 5 requests/s, burst 10. */
const KUBECTL_QPS = 5;
const KUBECTL_BURST = 10;

/** What each phase is made of, for each tool (`perEviction`: ms between two accepted evictions). */
function explain(tool: Tool, phase: Phase, perEviction: number): string {
  const generic: Record<Phase, string> = {
    start: 'start-up before the first eviction (process start, cordon, listing the pods)',
    evicting: `issuing the ${PODS} evictions`,
    terminating: `the pods' ${GRACE_S} s grace period (kwok holds each evicted pod that long)`,
    noticing: 'noticing the last pod is gone',
  };
  if (tool === 'ours') {
    if (phase === 'evicting')
      return (
        `issuing the ${PODS} evictions, up to 10 in flight over one keep-alive connection pool, ` +
        `one accepted every ${perEviction.toFixed(0)} ms (the API server's pace: each eviction checks its ` +
        'budget and writes the budget and the pod to etcd)'
      );
    if (phase === 'noticing')
      return 'noticing the last pod is gone (a pod list every 500 ms while only terminating pods are left)';
  } else {
    if (phase === 'evicting')
      return (
        `issuing the ${PODS} evictions, all at once but paced by kubectl's client-side rate limiter ` +
        `(${KUBECTL_QPS} requests/s, burst ${KUBECTL_BURST}: (${PODS} − ${KUBECTL_BURST}) / ${KUBECTL_QPS} = ` +
        `${((PODS - KUBECTL_BURST) / KUBECTL_QPS).toFixed(0)} s at least)`
      );
    if (phase === 'noticing')
      return 'noticing the last pod is gone (a GET per pod every 1 s, through the same rate limiter)';
  }
  return generic[phase];
}

function line(label: string, r: Run): string {
  return (
    `${label.padEnd(13)} ${r.tool.padEnd(8)} ${r.total.toFixed(2).padStart(6)} s   ` +
    PHASES.map((p) => `${p} ${r[p].toFixed(2)}`).join('  ') +
    `   429s ${r.refusals}`
  );
}

const cpu = cpus();
console.log(
  `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM ` +
    `(${(freemem() / 2 ** 30).toFixed(1)} free), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, Node ${process.version}`,
);
const bin = binaries();
try {
  const t0 = Date.now();
  down(cluster); // a cluster left by an interrupted run: start afresh
  await up(cluster);
  createNode();
  await reset();
  console.log(
    `cluster up and ${NODE} holding ${PODS} pods (${DEPLOYMENTS} Deployments × ${REPLICAS}, each under a budget ` +
      `maxUnavailable ${REPLICAS}; grace period ${GRACE_S} s) in ${s(Date.now() - t0).toFixed(1)} s`,
  );
  console.log(
    `kubectl: ${kubectl(cluster, ['version', '--client', '-o', 'json']).match(/"gitVersion": "([^"]+)"/)?.[1]}`,
  );
  console.log(`runs: ${RUNS} of each, alternating, after one untimed warm-up of each; times in seconds`);
  const runs: Run[] = [];
  for (let i = 0; i <= RUNS; i++) {
    for (const tool of ['ours', 'kubectl'] as const) {
      const r = await timed(tool, bin);
      console.log(line(i === 0 ? 'warm-up' : `run ${i}`, r));
      if (i > 0) runs.push(r);
      await reset();
    }
  }
  const of = (tool: Tool) => runs.filter((r) => r.tool === tool);
  const med = (tool: Tool, key: keyof Omit<Run, 'tool'>) => median(of(tool).map((r) => r[key]));
  const ours = med('ours', 'total');
  const theirs = med('kubectl', 'total');
  console.log(
    `median ours:    ${ours.toFixed(2)} s   (${PHASES.map((p) => `${p} ${med('ours', p).toFixed(2)}`).join('  ')})`,
  );
  console.log(
    `median kubectl: ${theirs.toFixed(2)} s   (${PHASES.map((p) => `${p} ${med('kubectl', p).toFixed(2)}`).join('  ')})`,
  );
  console.log(`ratio ours/kubectl: ${(ours / theirs).toFixed(3)} (target ≤ 1.0)`);
  for (const tool of ['ours', 'kubectl'] as const) {
    const top = [...PHASES].sort((a, b) => med(tool, b) - med(tool, a))[0]!;
    const refusals = med(tool, 'refusals');
    const perEviction = (med(tool, 'evicting') * 1000) / (PODS - 1);
    console.log(
      `dominant for ${tool}: ${explain(tool, top, perEviction)} — ${med(tool, top).toFixed(2)} s of ` +
        `${med(tool, 'total').toFixed(2)} s` +
        (refusals > 0 ? `; median ${refusals} refused evictions (429) retried` : '; no 429 retries'),
    );
  }
} finally {
  down(cluster);
}
