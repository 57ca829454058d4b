/**
 * Benchmark: the real `rollingUpgrade` at scale. A local cluster of NODES kwok nodes (default 1,000:
 * 3 control plane + NODES-3 workers at v1.11.9) running PODS pods (default 10,000) from Deployments
 * of 100 replicas, each with a PodDisruptionBudget (maxUnavailable 10%), so drained pods are
 * recreated elsewhere by the real ReplicaSet controller and scheduler, and evictions meet real
 * budgets. Upgraded to kubernetes-v1.12.7-prod-20190403 with maxUnavailable "10%" by a worker run as
 * the production worker as its own process (`npm run build:worker`, then scripts/worker.sh, the same
 * as `npm run worker:dist`: compiled JavaScript, workflows bundled ahead, heap and malloc arenas capped).
 *
 * Prints the total upgrade time, the nodes at the new version (read from the API; the bench fails
 * unless all are), the parent's runs (continue-as-new) and the largest workflow history, the peak RSS
 * of the worker and of the Temporal server, the cluster setup time, where the CPU went, the machine.
 *
 *   npm run bench:scale [-- NODES PODS]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { Client, Connection, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import type { UpgradeStatus } from '../model/status.js';
import { batchSize } from '../model/batches.js';
import { clusterOptions, componentPids, down, kubeconfigPath, kubectl, up } from '../localcluster/cluster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const nodesWanted = Number(process.argv[2] ?? 1000);
const podsWanted = Number(process.argv[3] ?? 10000);
if (!(Number.isInteger(nodesWanted) && nodesWanted >= 4 && Number.isInteger(podsWanted) && podsWanted >= 0)) {
  console.error('usage: npm run bench:scale [-- NODES PODS]   (NODES ≥ 4: 3 control plane + workers)');
  process.exit(2);
}
const CLUSTER = 'k8s-upgrade-test';
const TEMPLATE = 'kubernetes-v1.12.7-prod-20190403';
const FROM = 'v1.11.9';
const TO = 'v1.12.7';
const MAX_UNAVAILABLE = '10%';
const REPLICAS = 100; // per Deployment
const GRACE_S = 5; // terminationGracePeriodSeconds of the bench pods (kwok holds a deleted pod that long)
const NAMESPACE = 'bench';
const HISTORY_TARGET = 10_000;
const WORKER_RSS_TARGET_MB = 300;
const PAUSE_LIMIT_S = 300; // a paused upgrade (failed gate, blocked drain) fails the bench after this

const port = '7533';
const taskQueue = 'bench-scale';
const temporalDir = join(root, '.run/bench/scale-temporal');
const workerLog = join(root, '.run/bench/scale-worker.log');
const cluster = clusterOptions({
  dir: join(root, '.run/bench/scale-cluster'),
  apiserverPort: 34443,
  layout: { cluster: CLUSTER, masters: 3, workers: nodesWanted - 3, kubeletVersion: FROM },
  // A node that goes NotReady (late heartbeat) has its pods marked NotReady by the node lifecycle
  // controller, and kwok never makes them Ready again: the upgrade's gates would wait forever. So:
  // no node Leases (kwok v0.7.0's lease queue stalls when many nodes are replaced at once, see
  // ClusterOptions.nodeHeartbeatSeconds), a status heartbeat every 60-90 s (~13 writes/s at 1,000
  // nodes), a node monitor grace period 4 times kwok's 40 s, and more kwok workers.
  heartbeatFactor: 4,
  nodeHeartbeatSeconds: 60,
  kwokParallelism: 16,
});
process.env.K8S_RU_CATALOGUE = join(root, 'test/fixtures/catalogue.yaml');
process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-bench-scale-'));
process.env.K8S_RU_KUBECONFIG = kubeconfigPath(cluster);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

const server = (action: string) =>
  execFileSync('bash', [join(root, 'scripts/temporal-server.sh'), action, temporalDir], {
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_PORT: port, TEMPORAL_UI_PORT: '0' },
  });

// ---- /proc readings: peak RSS (VmHWM) and CPU time of a process ----

function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU seconds the process has used (its own, not its children's). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (clock ticks, USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all processes, all cores). */
function machineBusySeconds(): number {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return (cpu.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** Samples VmRSS of some processes every second; keeps the peaks. */
function rssSampler(pids: () => Record<string, number>) {
  const peaks: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids()))
      peaks[name] = Math.max(peaks[name] ?? 0, procStatus(pid, 'VmRSS'));
  }, 1000);
  return { peaks, stop: () => clearInterval(timer) };
}

/**
 * Seconds each kube-controller-manager work queue has spent working (its /metrics, open on loopback):
 * which controllers the CPU of the controller-manager goes to.
 */
function controllerWork(): Promise<Map<string, number>> {
  const port = cluster.apiserverPort + 3; // kwok.yaml: kubeControllerManagerPort
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

// ---- the workload: Deployments with PodDisruptionBudgets ----

function workloads(pods: number) {
  const items: object[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }];
  for (let i = 0; i * REPLICAS < pods; i++) {
    const name = `app-${String(i).padStart(3, '0')}`;
    const labels = { app: name };
    items.push(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: NAMESPACE, labels },
        spec: {
          replicas: Math.min(REPLICAS, pods - i * REPLICAS),
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: GRACE_S,
              containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
            },
          },
        },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace: NAMESPACE },
        spec: { maxUnavailable: '10%', selector: { matchLabels: labels } },
      },
    );
  }
  return items;
}

function apis() {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath(cluster));
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
  };
}
type Apis = ReturnType<typeof apis>;

/** Every pod of the bench namespace Running and Ready, every budget observed and satisfied. */
async function waitWorkloads(k: Apis, pods: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  let best = -1;
  let progressAt = Date.now();
  for (;;) {
    const deployments = (await k.apps.listNamespacedDeployment({ namespace: NAMESPACE })).items;
    const ready = deployments.reduce(
      (sum, d) => sum + Math.min(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 0),
      0,
    );
    const budgets = (await k.policy.listNamespacedPodDisruptionBudget({ namespace: NAMESPACE })).items;
    const observed = budgets.filter(
      (b) =>
        (b.status?.observedGeneration ?? 0) >= (b.metadata?.generation ?? 1) &&
        b.status!.currentHealthy >= b.status!.desiredHealthy &&
        b.status!.expectedPods ===
          (deployments.find((d) => d.metadata?.name === b.metadata?.name)?.spec?.replicas ?? -1),
    ).length;
    if (ready === pods && observed === budgets.length) break;
    if (ready > best) {
      best = ready;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 300_000) {
      throw new Error(`no pod became Ready for 300 s: ${ready}/${pods} Ready`);
    }
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(`  pods ready ${ready}/${pods}, budgets observed ${observed}/${budgets.length}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${ready}/${pods} pods ready, ${observed} budgets observed`);
    await sleep(2000);
  }
  // Count the pods themselves (the Deployments' figures come from the controllers).
  let running = 0;
  let total = 0;
  let _continue: string | undefined;
  do {
    const page = await k.core.listNamespacedPod({ namespace: NAMESPACE, limit: 2000, _continue });
    for (const p of page.items) {
      total++;
      if (
        p.status?.phase === 'Running' &&
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        !p.metadata?.deletionTimestamp
      )
        running++;
    }
    _continue = page.metadata?._continue;
  } while (_continue);
  if (running !== pods || total !== pods)
    throw new Error(`expected ${pods} Running/Ready pods, found ${running} of ${total}`);
}

async function versionsOfNodes(k: Apis): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const n of (await k.core.listNode()).items) {
    const v = n.status?.nodeInfo?.kubeletVersion ?? '?';
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

// ---- the worker, as its own process ----

function startWorker(): { child: ChildProcess; ready: Promise<void> } {
  mkdirSync(join(root, '.run/bench'), { recursive: true });
  execFileSync('npm', ['run', 'build:worker'], { cwd: root, stdio: 'ignore' });
  const out = openSync(workerLog, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    K8S_RU_TASK_QUEUE: taskQueue,
    K8S_RU_LOG_LEVEL: 'WARN',
    K8S_RU_WORKER_STATS_EVERY: '5',
  };
  for (const k of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_API_KEY']) delete env[k];
  // The script execs node: one process, so its pid is the worker's. (K8S_RU_WORKER_HEAP_MB and
  // MALLOC_ARENA_MAX, when set, change its memory settings.)
  const child = spawn('bash', [join(root, 'scripts/worker.sh')], { cwd: root, env, stdio: ['ignore', out, out] });
  closeSync(out);
  const ready = (async () => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}); log ${workerLog}`);
      if (readFileSync(workerLog, 'utf8').includes('worker: polling')) return;
      if (Date.now() > deadline) throw new Error(`worker not polling after 180 s; log ${workerLog}`);
      await sleep(250);
    }
  })();
  return { child, ready };
}

/** The worker's own stats line (--stats-every) with the most cached workflows, from its log. */
function peakWorkerStats(): string {
  const lines = readFileSync(workerLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('worker: cached workflows'));
  const cached = (l: string) => Number(/cached workflows (\d+)/.exec(l)?.[1] ?? 0);
  const peak = lines.reduce((a, b) => (cached(b) > cached(a) ? b : a), '');
  return peak ? peak.replace('worker: ', '') : 'no stats in the worker log';
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
  child.kill('SIGKILL');
  await exited;
}

// ---- histories ----

async function listAll(client: Client, query: string): Promise<WorkflowExecutionInfo[]> {
  const all: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query })) all.push(w);
  return all;
}

// ---- where the time went, from the histories ----

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
const eventMs = (e: HistoryEvent | undefined) =>
  e?.eventTime ? Number(e.eventTime.seconds ?? 0) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : 0;

/**
 * One child's history: milliseconds per activity type (scheduled → closed, retries included), of
 * which waiting in the task queue (scheduled → started), and in workflow tasks (scheduled → completed).
 */
function childProfile(events: HistoryEvent[]) {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const steps = new Map<string, number>();
  let queued = 0;
  let workflowTasks = 0;
  for (const e of events) {
    const wft = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
    if (wft?.scheduledEventId) workflowTasks += eventMs(e) - eventMs(byId.get(Number(wft.scheduledEventId)));
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (!closed?.scheduledEventId) continue;
    const scheduled = byId.get(Number(closed.scheduledEventId));
    const started = closed.startedEventId ? byId.get(Number(closed.startedEventId)) : undefined;
    if (started) queued += eventMs(started) - eventMs(scheduled);
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    steps.set(type, (steps.get(type) ?? 0) + eventMs(e) - eventMs(scheduled));
  }
  return { start: eventMs(events[0]), end: eventMs(events.at(-1)), steps, queued, workflowTasks };
}

async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/**
 * Each batch's wall time (first child started → last child closed) with its slowest node's steps,
 * the health gates and what is left (child starts, workflow tasks, continue-as-new), from the
 * parent's runs and every child's history.
 */
async function breakdown(
  client: Client,
  workflowId: string,
  runIds: string[],
  status: UpgradeStatus,
  total: number,
): Promise<string[]> {
  const nodes = status.nodes.filter((n) => n.step === 'done');
  const children = await inParallel(nodes, 16, async (n) => {
    const events = (await client.workflow.getHandle(`${workflowId}/${n.name}`).fetchHistory()).events ?? [];
    return { node: n, ...childProfile(events) };
  });
  const gates: number[] = [];
  for (const runId of runIds) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const e of events) {
      const id = e.activityTaskCompletedEventAttributes?.scheduledEventId;
      const scheduled = id ? byId.get(Number(id)) : undefined;
      if (scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'healthGate') {
        gates.push(eventMs(e) - eventMs(scheduled));
      }
    }
  }
  const masters = children.filter((c) => c.node.role === 'control-plane');
  const workers = children.filter((c) => c.node.role !== 'control-plane');
  const size = batchSize(MAX_UNAVAILABLE, workers.length);
  const batches = [...masters.map((m) => [m])];
  for (let i = 0; i < workers.length; i += size) batches.push(workers.slice(i, i + size));
  const walls = batches.map((b) => Math.max(...b.map((c) => c.end)) - Math.min(...b.map((c) => c.start)));
  const slowest = batches.map((b) => b.reduce((a, c) => (c.end - c.start > a.end - a.start ? c : a)));
  const s = (v: number) => (v / 1000).toFixed(1);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const steps = [...new Set(children.flatMap((c) => [...c.steps.keys()]))];
  const avg = (list: typeof children, step: string) => sum(list.map((c) => c.steps.get(step) ?? 0)) / list.length;
  const workerWalls = walls.slice(masters.length);
  const workerBatches = batches.slice(masters.length);
  const mean = (xs: number[]) => sum(xs) / Math.max(1, xs.length);
  const spread = mean(
    workerBatches.map((b) => Math.max(...b.map((c) => c.start)) - Math.min(...b.map((c) => c.start))),
  );
  const ran = mean(workers.map((c) => c.end - c.start));
  const longest = mean(workerBatches.map((b) => Math.max(...b.map((c) => c.end - c.start))));
  const inActivities = mean(workers.map((c) => sum([...c.steps.values()])));
  const lines = [
    `batches: ${masters.length} control-plane nodes, ${s(sum(walls.slice(0, masters.length)))} s in all; ` +
      `${workerWalls.length} worker batches of up to ${size}, ${s(sum(workerWalls))} s in all ` +
      `(each ${s(Math.min(...workerWalls))}–${s(Math.max(...workerWalls))} s)`,
    `  per node, average over all | slowest node of each batch: ` +
      steps
        .map((step) => [step, avg(children, step), avg(slowest, step)] as const)
        .sort((a, b) => b[2] - a[2])
        .map(([step, all, slow]) => `${step} ${s(all)} | ${s(slow)} s`)
        .join(', '),
    `  per worker batch on average: children started over ${s(spread)} s (first → last start); a child ran ` +
      `${s(ran)} s on average, the batch's longest ${s(longest)} s; per child ${s(inActivities)} s in activities ` +
      `(${s(mean(workers.map((c) => c.queued)))} s of it queued for a worker slot), ` +
      `${s(mean(workers.map((c) => c.workflowTasks)))} s in workflow tasks`,
    `health gates: ${gates.length}, ${s(sum(gates))} s in all (longest ${s(Math.max(0, ...gates))} s)`,
    `rest (child starts, workflow tasks, continue-as-new, between batches): ${s(total - sum(walls) - sum(gates))} s`,
  ];
  return lines;
}

// ---- the run ----

let interrupted: ((reason: Error) => void) | undefined;
const interruption = new Promise<never>((_, reject) => {
  interrupted = reject;
});
interruption.catch(() => undefined);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping and tearing down`);
    interrupted?.(new Error(`interrupted by ${sig}`));
  });
}

console.log(
  `bench:scale — ${nodesWanted} nodes (3 control plane + ${nodesWanted - 3} workers, ${FROM} → ${TO}), ` +
    `${podsWanted} pods in ${Math.ceil(podsWanted / REPLICAS)} Deployments with budgets (maxUnavailable 10%, grace ${GRACE_S} s), ` +
    `upgrade maxUnavailable ${MAX_UNAVAILABLE}`,
);
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average at start ${loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')}`;
log(`machine: ${machine}`);

let worker: ChildProcess | undefined;
let connection: Connection | undefined;
let failure: string | undefined;
const report: string[] = [];
const line = (label: string, value: string) => report.push(`${`${label}:`.padEnd(34)} ${value}`);
try {
  rmSync(temporalDir, { recursive: true, force: true }); // a fresh history store: only this run is listed
  server('start');
  const temporalPid = Number(readFileSync(join(temporalDir, 'pid'), 'utf8').trim());

  // -- cluster setup --
  const t0 = Date.now();
  log(`cluster: control plane and ${nodesWanted} nodes (apiserver 127.0.0.1:${cluster.apiserverPort})`);
  await Promise.race([up(cluster), interruption]);
  const tNodes = Date.now();
  log(`cluster: control plane up, ${nodesWanted} nodes Ready in ${secs(tNodes - t0)}`);
  const k = apis();
  if (podsWanted > 0) {
    kubectl(
      cluster,
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: workloads(podsWanted) }),
    );
    log(
      `cluster: ${Math.ceil(podsWanted / REPLICAS)} Deployments and budgets created; waiting for ${podsWanted} pods Running/Ready`,
    );
    await Promise.race([waitWorkloads(k, podsWanted, 3_600_000), interruption]);
  }
  const tSetup = Date.now();
  log(`cluster: ${podsWanted} pods Running/Ready in ${secs(tSetup - tNodes)}; setup ${secs(tSetup - t0)} in all`);

  // -- the upgrade --
  const started = startWorker();
  worker = started.child;
  const workerPid = worker.pid ?? 0;
  await Promise.race([started.ready, interruption]);
  log(`worker: pid ${workerPid} polling task queue ${taskQueue}`);
  const components = componentPids(cluster);
  const watched = () => ({ worker: workerPid, temporal: temporalPid, ...components });
  const cpuBefore = Object.fromEntries(Object.entries(watched()).map(([n, pid]) => [n, cpuSeconds(pid)]));
  const benchCpuBefore = process.cpuUsage();
  const workBefore = await controllerWork();
  const busyBefore = machineBusySeconds();
  const rss = rssSampler(watched);

  connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const workflowId = `bench-scale-${Date.now()}`;
  const start = Date.now();
  const handle = await client.workflow.start('rollingUpgrade', {
    taskQueue,
    workflowId,
    args: [{ cluster: CLUSTER, template: TEMPLATE, maxUnavailable: MAX_UNAVAILABLE }],
  });
  log(`upgrade: workflow ${workflowId} started`);
  let pausedSince: number | undefined;
  let lastLine = '';
  const progress = setInterval(() => {
    void handle
      .query<UpgradeStatus>('status')
      .then((st) => {
        const text = `phase ${st.phase}, ${st.done}/${st.nodes.length} nodes done, ${st.current.length} in progress`;
        if (text !== lastLine) {
          const rssNow = `worker RSS ${mb(procStatus(workerPid, 'VmRSS'))}, Temporal ${mb(procStatus(temporalPid, 'VmRSS'))}`;
          log(`upgrade: ${text} (${secs(Date.now() - start)}; ${rssNow})`);
        }
        lastLine = text;
        if (st.phase === 'paused') {
          pausedSince ??= Date.now();
          if (Date.now() - pausedSince > PAUSE_LIMIT_S * 1000) {
            const why = st.pausedReason ?? '';
            interrupted?.(
              new Error(
                `upgrade paused for over ${PAUSE_LIMIT_S} s: ${why.length > 600 ? `${why.slice(0, 300)} … ${why.slice(-300)}` : why}`,
              ),
            );
          }
        } else pausedSince = undefined;
      })
      .catch(() => undefined); // between two runs (continue-as-new) a query can miss
  }, 10_000);
  let final: UpgradeStatus | undefined;
  let stopped: string | undefined; // why the upgrade did not complete (the figures are printed anyway)
  try {
    final = await Promise.race([handle.result() as Promise<UpgradeStatus>, interruption]);
  } catch (err) {
    stopped = (err as Error).message;
    final = await handle.query<UpgradeStatus>('status').catch(() => undefined);
    await handle.terminate('bench stopped').catch(() => undefined);
  } finally {
    clearInterval(progress);
  }
  const phase = stopped ? `stopped in phase ${final?.phase ?? '?'}: ${stopped}` : (final?.phase ?? '?');
  const total = Date.now() - start;
  rss.stop();
  const cpuAfter = Object.fromEntries(Object.entries(watched()).map(([n, pid]) => [n, cpuSeconds(pid)]));
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const workAfter = await controllerWork();
  const busy = machineBusySeconds() - busyBefore;
  const workerHwm = procStatus(workerPid, 'VmHWM');
  const temporalHwm = procStatus(temporalPid, 'VmHWM');
  log(`upgrade: ${phase} after ${secs(total)}`);

  // -- the nodes, from the API --
  const versions = await versionsOfNodes(k);
  const atTarget = versions.get(TO) ?? 0;
  const nodesSeen = [...versions.values()].reduce((a, b) => a + b, 0);

  // -- runs and histories --
  // The parent's runs from the history service itself (visibility has no length for a running one);
  // the children from visibility, the largest checked against the history service.
  const runs = await Promise.all(
    (await listAll(client, `WorkflowId = "${workflowId}"`)).map(async (r) => ({
      runId: r.runId,
      historyLength: (await client.workflow.getHandle(workflowId, r.runId).describe()).historyLength,
    })),
  );
  const children = await listAll(client, `WorkflowType = "nodeUpgrade"`);
  if (runs.length === 0 || children.length === 0) throw new Error('no run or no nodeUpgrade child found');
  const largestRun = runs.reduce((a, b) => (b.historyLength > a.historyLength ? b : a));
  const largestChild = children.reduce((a, b) => (b.historyLength > a.historyLength ? b : a));
  const runLength = largestRun.historyLength;
  const childLength = (await client.workflow.getHandle(largestChild.workflowId, largestChild.runId).describe())
    .historyLength;
  const largest = Math.max(runLength, childLength);
  const totalEvents = [...runs, ...children].reduce((a, w) => a + w.historyLength, 0);

  // -- report --
  const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');
  line('machine', machine);
  line(
    'cluster',
    `${nodesWanted} nodes (3 control plane + ${nodesWanted - 3} workers), ${podsWanted} pods in ${Math.ceil(podsWanted / REPLICAS)} Deployments + budgets; plus the seed's nginx (2) and node-agent DaemonSet (1 per node)`,
  );
  line(
    'cluster setup time',
    `${secs(tSetup - t0)} (control plane + nodes Ready ${secs(tNodes - t0)}, pods Running/Ready ${secs(tSetup - tNodes)})`,
  );
  line(
    'total upgrade time',
    `${secs(total)} (${phase}; batches of ${Math.max(1, Math.floor(((nodesWanted - 3) * 10) / 100))} workers after 3 control-plane nodes one by one)`,
  );
  line(
    'nodes at the new version (API)',
    `${atTarget} of ${nodesWanted} at ${TO}${nodesSeen !== nodesWanted ? ` (${nodesSeen} nodes listed)` : ''}${
      atTarget === nodesWanted
        ? ''
        : `; others: ${[...versions]
            .filter(([v]) => v !== TO)
            .map(([v, n]) => `${n} at ${v}`)
            .join(', ')}`
    }`,
  );
  line(
    'parent runs (continue-as-new)',
    `${runs.length} (maxHistoryEvents 4000), events per run: ${runs
      .map((r) => r.historyLength)
      .sort((a, b) => a - b)
      .join(', ')}`,
  );
  line(
    'largest history',
    `${largest} events (${runLength >= childLength ? `parent run ${largestRun.runId}` : `child ${largestChild.workflowId}`}; largest child ${childLength}) — target < ${HISTORY_TARGET}: ${ok(largest < HISTORY_TARGET)}`,
  );
  line(
    'workflows / events in all',
    `${runs.length + children.length} executions, ${totalEvents} events (${children.length} nodeUpgrade children)`,
  );
  if (final) {
    try {
      const where = await breakdown(
        client,
        workflowId,
        runs.map((r) => r.runId),
        final,
        total,
      );
      line('where the upgrade time went', where[0] ?? '');
      for (const more of where.slice(1)) report.push(`${''.padEnd(35)}${more}`);
    } catch (err) {
      line('where the upgrade time went', `could not read the histories: ${(err as Error).message}`);
    }
  }
  line(
    'worker peak RSS (VmHWM)',
    `${mb(workerHwm)} (pid ${workerPid}: scripts/worker.sh, heap cap ${process.env.K8S_RU_WORKER_HEAP_MB ?? 192} MB, semi-space ${process.env.K8S_RU_WORKER_SEMI_SPACE_MB ?? 4} MB, MALLOC_ARENA_MAX ${process.env.MALLOC_ARENA_MAX ?? 2}) — target < ${WORKER_RSS_TARGET_MB} MB: ${ok(workerHwm / 1024 < WORKER_RSS_TARGET_MB)}`,
  );
  line('worker peak RSS during upgrade', `${mb(rss.peaks.worker ?? 0)} (VmRSS sampled every second)`);
  line('worker at its peak of cached workflows', peakWorkerStats());
  line('Temporal server peak RSS', `${mb(temporalHwm)} (VmHWM of pid ${temporalPid}, dev server on SQLite)`);
  line(
    'cluster peak RSS (VmHWM)',
    Object.entries(components)
      .map(([n, pid]) => `${n} ${mb(procStatus(pid, 'VmHWM'))}`)
      .join(', '),
  );
  const cpuRows = Object.keys(cpuAfter)
    .map((n) => [n, (cpuAfter[n] ?? 0) - (cpuBefore[n] ?? 0)] as const)
    .sort((a, b) => b[1] - a[1]);
  const counted = cpuRows.reduce((a, [, s]) => a + s, 0) + (benchCpu.user + benchCpu.system) / 1e6;
  line(
    'CPU during the upgrade',
    `${busy.toFixed(0)} s busy of ${((total / 1000) * cpus().length).toFixed(0)} s available (${cpus().length} cores)`,
  );
  const busiest = [...workAfter]
    .map(([n, s]) => [n, s - (workBefore.get(n) ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6);
  for (const [n, s] of cpuRows) {
    line(`  ${n}`, `${s.toFixed(1)} s (${((100 * s) / Math.max(busy, 1)).toFixed(0)}%)`);
    if (n === 'kube-controller-manager' && busiest.length > 0) {
      line(
        '    busiest controllers',
        `${busiest.map(([q, w]) => `${q} ${w.toFixed(0)} s`).join(', ')} (time in work queues)`,
      );
    }
  }
  line('  bench process (client, polling)', `${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`);
  line('  everything else on the machine', `${Math.max(0, busy - counted).toFixed(1)} s (other sessions' work)`);
  console.log(`\n${report.join('\n')}`);
  if (stopped) {
    failure = `FAILED: the upgrade ${phase}; ${atTarget} of ${nodesWanted} nodes at ${TO}`;
  } else if (atTarget !== nodesWanted || nodesSeen !== nodesWanted) {
    failure = `FAILED: ${atTarget} of ${nodesWanted} nodes at ${TO} (${nodesSeen} listed)`;
  } else if (final?.phase !== 'completed') {
    failure = `FAILED: the upgrade ended ${phase}`;
  }
} catch (err) {
  failure = `FAILED: ${(err as Error).stack ?? String(err)}`;
  if (report.length > 0) console.log(`\n${report.join('\n')}`);
} finally {
  log('teardown: worker, cluster, Temporal dev server');
  if (worker) await stopWorker(worker);
  await connection?.close();
  try {
    down(cluster);
  } catch (err) {
    console.error(`cluster teardown: ${(err as Error).message}`);
    process.exitCode = 1;
  }
  server('stop');
  rmSync(process.env.K8S_RU_STATE_DIR, { recursive: true, force: true });
}
if (failure) {
  console.error(`\n${'!'.repeat(80)}\n${failure}\n${'!'.repeat(80)}`);
  if (worker) console.error(`worker log: ${workerLog}`);
  process.exitCode = 1;
}
process.exit(process.exitCode ?? 0);
