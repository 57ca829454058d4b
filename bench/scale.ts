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
 * of the worker and of the Temporal server, the cluster setup time, where the time and the CPU went,
 * the machine.
 *
 * `--temporal cluster` runs it on the production-shaped Temporal instead of the dev server: two server
 * processes on PostgreSQL (scripts/temporal-cluster.sh, bench/lib/temporal-cluster.ts), the worker on
 * the first one's frontend, the bench's client on the second's.
 *
 *   npm run bench:scale [-- NODES PODS] [--temporal dev|cluster]
 */
import { Client, Connection } from '@temporalio/client';
import { batchSize } from '../model/batches.js';
import { componentPids, down, kubectl, up } from '../localcluster/cluster.js';
import { batchBreakdown } from './lib/batches.js';
import { historySizes } from './lib/history.js';
import { interruptOnSignals } from './lib/interruption.js';
import { apis, nodeVersions } from './lib/kube.js';
import { busiestControllers, controllerWork } from './lib/metrics.js';
import { awaitUpgrade } from './lib/progress.js';
import { cores, load, log, mb, memory, secs } from './lib/report.js';
import { scaleReport } from './lib/scale-report.js';
import { cpuMeter, memoryKb, rssSampler } from './lib/sampling.js';
import { postgresMeter, temporalCluster } from './lib/temporal-cluster.js';
import {
  CLUSTER,
  FROM,
  TEMPLATE,
  TO,
  activitySettings,
  benchCluster,
  countArg,
  runPath,
  temporalServer,
} from './lib/setup.js';
import { peakWorkerStats, startWorker, stopWorker, type WorkerProcess } from './lib/worker-process.js';
import { spreadWorkloads, waitWorkloads } from './lib/workloads.js';

const usage =
  'usage: npm run bench:scale [-- NODES PODS] [--temporal dev|cluster]   (NODES ≥ 4: 3 control plane + workers)';
// `--temporal KIND` is taken out of the arguments before NODES and PODS are read.
const flag = process.argv.indexOf('--temporal');
const kind = flag < 0 ? 'dev' : process.argv.splice(flag, 2)[1];
if (kind !== 'dev' && kind !== 'cluster') {
  console.error(
    `--temporal is dev (the dev server on SQLite) or cluster (two servers on PostgreSQL), not "${kind}"\n${usage}`,
  );
  process.exit(2);
}
const nodesWanted = countArg(0, 1000, 4, usage);
const podsWanted = countArg(1, 10000, 0, usage);
const MAX_UNAVAILABLE = '10%';
const REPLICAS = 100; // per Deployment
const GRACE_S = 5; // terminationGracePeriodSeconds of the bench pods (kwok holds a deleted pod that long)
const NAMESPACE = 'bench';
const PAUSE_LIMIT_S = 300; // a paused upgrade (failed gate, blocked drain) fails the bench after this
const DEPLOYMENTS = Math.ceil(podsWanted / REPLICAS);

const taskQueue = 'bench-scale';
const twoServers = kind === 'cluster' ? temporalCluster('scale-temporal-cluster', 7560) : undefined;
const temporal = twoServers ?? temporalServer('scale-temporal', 7533);
const workerLog = runPath('scale-worker.log');
const cluster = benchCluster('scale-cluster', 34443, {
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
const settings = activitySettings(cluster);
const interruption = interruptOnSignals();
const race = <T>(wait: Promise<T>) => Promise.race([wait, interruption.promise]);

console.log(
  `bench:scale — ${nodesWanted} nodes (3 control plane + ${nodesWanted - 3} workers, ${FROM} → ${TO}), ` +
    `${podsWanted} pods in ${DEPLOYMENTS} Deployments with budgets (maxUnavailable 10%, grace ${GRACE_S} s), ` +
    `upgrade maxUnavailable ${MAX_UNAVAILABLE}`,
);
const machine = `${cores()}, ${memory()}, load average at start ${load()}`;
log(`machine: ${machine}`);

let worker: WorkerProcess | undefined;
let connection: Connection | undefined;
let failure: string | undefined;
try {
  temporal.start({ fresh: true });
  const temporalPid = temporal.pid();
  const temporalPids = twoServers?.pids() ?? { temporal: temporalPid };

  // -- cluster setup --
  const t0 = Date.now();
  log(`cluster: control plane and ${nodesWanted} nodes (apiserver 127.0.0.1:${cluster.apiserverPort})`);
  await race(up(cluster));
  const tNodes = Date.now();
  log(`cluster: control plane up, ${nodesWanted} nodes Ready in ${secs(tNodes - t0)}`);
  const k = apis(cluster);
  if (podsWanted > 0) {
    const items = spreadWorkloads(NAMESPACE, podsWanted, REPLICAS, GRACE_S, '10%');
    kubectl(cluster, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    log(`cluster: ${DEPLOYMENTS} Deployments and budgets created; waiting for ${podsWanted} pods Running/Ready`);
    await race(waitWorkloads(k, NAMESPACE, podsWanted, 3_600_000));
  }
  const tSetup = Date.now();
  log(`cluster: ${podsWanted} pods Running/Ready in ${secs(tSetup - tNodes)}; setup ${secs(tSetup - t0)} in all`);

  // -- the upgrade --
  worker = startWorker({ address: temporal.address, taskQueue, logFile: workerLog, env: settings.env });
  const workerPid = worker.pid;
  await race(worker.ready);
  log(`worker: pid ${workerPid} polling task queue ${taskQueue}`);
  const components = componentPids(cluster);
  const watched = () => ({ worker: workerPid, ...temporalPids, ...components });
  const cpu = cpuMeter(watched);
  const workBefore = await controllerWork(cluster);
  const rss = rssSampler(watched);
  const postgres = twoServers && postgresMeter(twoServers.postgresPid());

  connection = await Connection.connect({ address: twoServers?.address2 ?? temporal.address });
  const client = new Client({ connection });
  const workflowId = `bench-scale-${Date.now()}`;
  const start = Date.now();
  const handle = await client.workflow.start('rollingUpgrade', {
    taskQueue,
    workflowId,
    args: [{ cluster: CLUSTER, template: TEMPLATE, maxUnavailable: MAX_UNAVAILABLE }],
  });
  log(`upgrade: workflow ${workflowId} started`);
  // The figures are printed even when the upgrade was stopped (`stopped` says why).
  const { final, stopped } = await awaitUpgrade(handle, {
    startedAt: start,
    pauseLimitS: PAUSE_LIMIT_S,
    interruption,
    extra: () =>
      `worker RSS ${mb(memoryKb(workerPid, 'VmRSS'))}, Temporal ${Object.values(temporalPids)
        .map((pid) => mb(memoryKb(pid, 'VmRSS')))
        .join(' + ')}`,
  });
  const phase = stopped ? `stopped in phase ${final?.phase ?? '?'}: ${stopped}` : (final?.phase ?? '?');
  const total = Date.now() - start;
  rss.stop();
  const spent = cpu.stop();
  const pg = postgres?.stop();
  const busiest = busiestControllers(workBefore, await controllerWork(cluster), 6);
  const workerHwm = memoryKb(workerPid, 'VmHWM');
  const temporalHwm = Object.fromEntries(Object.entries(temporalPids).map(([n, pid]) => [n, memoryKb(pid, 'VmHWM')]));
  const servers = Object.entries(temporalHwm)
    .map(([n, kb]) => `${n} ${mb(kb)}`)
    .join(' + ');
  log(`upgrade: ${phase} after ${secs(total)}`);

  // -- the nodes, from the API; the histories; the report --
  const versions = await nodeVersions(k);
  const histories = await historySizes(client, workflowId);
  let breakdown: string[] | string | undefined;
  if (final) {
    const runIds = histories.runs.map((r) => r.runId);
    breakdown = await batchBreakdown(client, workflowId, runIds, final, MAX_UNAVAILABLE, total).catch(
      (err: Error) => err.message,
    );
  }
  const report = scaleReport({
    machine,
    nodes: nodesWanted,
    pods: podsWanted,
    deployments: DEPLOYMENTS,
    setup: { nodes: tNodes - t0, pods: tSetup - tNodes },
    total,
    phase,
    batch: batchSize(MAX_UNAVAILABLE, nodesWanted - 3),
    to: TO,
    versions,
    histories,
    breakdown,
    worker: {
      pid: workerPid,
      peakKb: workerHwm,
      sampledPeakKb: rss.peaks.worker ?? 0,
      stats: peakWorkerStats(workerLog),
    },
    temporal: {
      pid: temporalPid,
      peakKb: Object.values(temporalHwm).reduce((a, b) => a + b, 0),
      what:
        pg &&
        `two servers on PostgreSQL: ${servers} (VmHWM); PostgreSQL peak ${mb(pg.peakKb)} (PSS of its processes), CPU ${pg.cpu.toFixed(1)} s`,
    },
    cluster: Object.fromEntries(Object.entries(components).map(([n, pid]) => [n, memoryKb(pid, 'VmHWM')])),
    cpu: spent,
    busiest,
  });
  console.log(`\n${report.join('\n')}`);
  const atTarget = versions.get(TO) ?? 0;
  const nodesSeen = [...versions.values()].reduce((a, b) => a + b, 0);
  if (stopped) {
    failure = `FAILED: the upgrade ${phase}; ${atTarget} of ${nodesWanted} nodes at ${TO}`;
  } else if (atTarget !== nodesWanted || nodesSeen !== nodesWanted) {
    failure = `FAILED: ${atTarget} of ${nodesWanted} nodes at ${TO} (${nodesSeen} listed)`;
  } else if (final?.phase !== 'completed') {
    failure = `FAILED: the upgrade ended ${phase}`;
  }
} catch (err) {
  failure = `FAILED: ${(err as Error).stack ?? String(err)}`;
} finally {
  log(`teardown: worker, cluster, Temporal ${kind === 'dev' ? 'dev server' : 'servers and PostgreSQL'}`);
  if (worker) await stopWorker(worker.child);
  await connection?.close();
  try {
    down(cluster);
  } catch (err) {
    console.error(`cluster teardown: ${(err as Error).message}`);
    process.exitCode = 1;
  }
  temporal.stop();
  settings.remove();
}
if (failure) {
  console.error(`\n${'!'.repeat(80)}\n${failure}\n${'!'.repeat(80)}`);
  if (worker) console.error(`worker log: ${workerLog}`);
  process.exitCode = 1;
}
process.exit(process.exitCode ?? 0);
