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
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { workerDeps } from '../activities/deps.js';
import { createActivities } from '../activities/index.js';
import { nodeManifest } from '../localcluster/nodes.js';
import { binaries, down, kubeconfigPath, kubectl, up } from '../localcluster/cluster.js';
import { PHASES, type Tool, drainKubectl, drainOurs, explain } from './lib/drain-tools.js';
import { type Apis, apis } from './lib/kube.js';
import { PodClock } from './lib/pod-clock.js';
import { cores, load, memory } from './lib/report.js';
import { CLUSTER, FROM, activitySettings, benchCluster, countArg } from './lib/setup.js';
import { deploymentWithBudget, isReady } from './lib/workloads.js';

const RUNS = countArg(0, 5, 1, 'usage: npm run bench:drain [-- RUNS]   (RUNS ≥ 1)');
const NODE = 'bench-drain-node';
const NS = 'bench-drain';
const DEPLOYMENTS = 10;
const REPLICAS = 11;
const PODS = DEPLOYMENTS * REPLICAS; // 110
const GRACE_S = 2;
const TAINT = 'bench.k8s-rolling-upgrade/drain';

const cluster = benchCluster('drain-cluster', 33443, {
  podReadyMs: 500,
  layout: { cluster: CLUSTER, masters: 1, workers: 1, kubeletVersion: FROM },
});
const settings = activitySettings(cluster);
const deps = workerDeps({ catalogue: settings.catalogue, stateDir: settings.stateDir });
const activities = createActivities(deps);

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
      ...nodeManifest(NODE, 'worker', FROM, 50),
      spec: { taints: [{ key: TAINT, effect: 'NoSchedule' }] },
    },
  ];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const pod = {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      // Half of them with scratch space: both tools are told to evict those too.
      volumes: i % 2 === 0 ? [{ name: 'scratch', emptyDir: {} }] : undefined,
    };
    items.push(
      ...deploymentWithBudget({
        name: `bench-${i}`,
        namespace: NS,
        replicas: REPLICAS,
        graceSeconds: GRACE_S,
        maxUnavailable: REPLICAS,
        pod,
      }),
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

const fromDaemonSet = (p: V1Pod) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') === true;

/** Uncordons the node and waits for 110 Ready pods on it, nothing else in the namespace, budgets refreshed. */
async function reset(k: Apis): Promise<void> {
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

async function podsLeftOnNode(k: Apis): Promise<string[]> {
  const pods = (await k.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE}` })).items;
  return pods.filter((p) => !fromDaemonSet(p)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
}

async function timed(k: Apis, tool: Tool, bin: string): Promise<Run> {
  const clock = new PodClock(k.config, NS, NODE, PODS);
  await clock.start();
  const t0 = Date.now();
  const refusals =
    tool === 'ours'
      ? await drainOurs(activities, CLUSTER, NODE)
      : await drainKubectl(bin, kubeconfigPath(cluster), NODE);
  const t1 = Date.now();
  clock.stop();
  const left = await podsLeftOnNode(k);
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

function line(label: string, r: Run): string {
  return (
    `${label.padEnd(13)} ${r.tool.padEnd(8)} ${r.total.toFixed(2).padStart(6)} s   ` +
    PHASES.map((p) => `${p} ${r[p].toFixed(2)}`).join('  ') +
    `   429s ${r.refusals}`
  );
}

console.log(`machine: ${cores()}, ${memory(true)}, load ${load()}, Node ${process.version}`);
const bin = binaries();
try {
  const t0 = Date.now();
  down(cluster); // a cluster left by an interrupted run: start afresh
  await up(cluster);
  const k = apis(cluster); // the kubeconfig `up` wrote
  createNode();
  await reset(k);
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
      const r = await timed(k, tool, bin);
      console.log(line(i === 0 ? 'warm-up' : `run ${i}`, r));
      if (i > 0) runs.push(r);
      await reset(k);
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
      `dominant for ${tool}: ${explain(tool, top, { pods: PODS, graceSeconds: GRACE_S, perEviction })} — ${med(tool, top).toFixed(2)} s of ` +
        `${med(tool, 'total').toFixed(2)} s` +
        (refusals > 0 ? `; median ${refusals} refused evictions (429) retried` : '; no 429 retries'),
    );
  }
} finally {
  down(cluster);
  deps.close();
  settings.remove();
}
