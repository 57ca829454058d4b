/**
 * The real local cluster: a Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) run by kwokctl's binary runtime from binaries built by build.sh, with kwok playing
 * the kubelets. `up` starts it on loopback, with a supervisor that restarts any component that exits
 * (supervise.ts), and seeds the seed's cluster; `down` stops the supervisor, then every process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLUSTER_NAME, alive, clusterHome, livePids, workdir } from './components.js';
import { type NodeLayout, clusterNodes } from './nodes.js';
import { startSupervisor, stopSupervisor, supervisorPid } from './supervisor.js';

export { alive, componentPids, livePids, restartCounts, startComponent, stopComponent } from './components.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..');

export interface ClusterOptions {
  /** folder for kwokctl's state, logs and the kubeconfig (default <repo>/.run/cluster) */
  dir: string;
  apiserverPort: number;
  podReadyMs: number;
  layout: NodeLayout;
  /**
   * kwokctl's heartbeatFactor: scales the node lease duration (40 s), the node status updates and the
   * controller-manager's node monitor grace period together (default 1). Large clusters on few cores
   * raise it, so late lease renewals do not turn nodes NotReady.
   */
  heartbeatFactor: number;
  /** kwok-controller workers for pod stages, node stages and node leases each (default 4, kwok's own) */
  kwokParallelism: number;
  /**
   * 0: kwok keeps a Lease per node, as kubelets do. N > 0 (default 10): no Leases; kwok refreshes each
   * node's status every N to 1.5 N seconds instead (the heartbeat of kubelets before Leases). kwok
   * v0.7.0's lease queue can stall for good when a node is deleted and registered again while its
   * Lease is being renewed (a duplicate entry blocks its heap), after which every node goes NotReady
   * once its Lease expires. Every upgrade here registers nodes again under their names, so that race
   * is open at any size: it stopped a CI run at 6 nodes (every replaced node's pods NotReady, nginx
   * never available again). Without Leases it cannot happen.
   * Without Leases the controller-manager's node startup grace period is raised to 10 N seconds too: a
   * node registered again under the same name inherits its predecessor's last heartbeat (up to 1.5 N s
   * old), and the default 60 s could mark it, and its new pods, NotReady.
   */
  nodeHeartbeatSeconds: number;
}

export function clusterOptions(overrides: Partial<ClusterOptions> = {}): ClusterOptions {
  const env = process.env;
  return {
    dir: overrides.dir ?? env.K8S_RU_CLUSTER_DIR ?? join(ROOT, '.run', 'cluster'),
    apiserverPort: overrides.apiserverPort ?? Number(env.K8S_RU_APISERVER_PORT ?? 32443),
    podReadyMs: overrides.podReadyMs ?? Number(env.K8S_RU_POD_READY_MS ?? 1000),
    layout: overrides.layout ?? { cluster: CLUSTER_NAME, masters: 3, workers: 3, kubeletVersion: 'v1.11.9' },
    heartbeatFactor: overrides.heartbeatFactor ?? 1,
    kwokParallelism: overrides.kwokParallelism ?? 4,
    nodeHeartbeatSeconds: overrides.nodeHeartbeatSeconds ?? 10,
  };
}

export const kubeconfigPath = (o: ClusterOptions) => join(o.dir, 'kubeconfig');

/** Builds (or finds cached) binaries; returns their folder. */
export function binaries(): string {
  return execFileSync('bash', [join(HERE, 'build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

function toolEnv(o: ClusterOptions, bin: string): NodeJS.ProcessEnv {
  // kubectl must be on PATH for kwokctl (otherwise it would download one).
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    KWOK_WORKDIR: workdir(o),
    KUBECONFIG: kubeconfigPath(o),
  };
}

export function kubectl(o: ClusterOptions, args: string[], input?: string): string {
  const bin = binaries();
  const r = spawnSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfigPath(o), ...args], {
    input,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

async function retryOnConflict(write: () => unknown, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      write();
      return;
    } catch (err) {
      if (i >= attempts || !/\(Conflict\)/.test((err as Error).message)) throw err;
      await sleep(200 * i);
    }
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

export function isUp(o: ClusterOptions): boolean {
  if (livePids(o).length === 0) return false;
  try {
    return kubectl(o, ['get', '--raw', '/readyz']).trim() === 'ok';
  } catch {
    return false;
  }
}

/** Starts the control plane and kwok (if not running) and seeds the seed's cluster. */
export async function up(o: ClusterOptions = clusterOptions()): Promise<void> {
  const bin = binaries();
  if (!isUp(o)) {
    if (livePids(o).length > 0 || supervisorPid(o) !== undefined) down(o);
    rmSync(o.dir, { recursive: true, force: true });
    mkdirSync(o.dir, { recursive: true });
    const config = readFileSync(join(HERE, 'kwok.yaml'), 'utf8')
      .replaceAll('__POD_READY_MS__', String(o.podReadyMs))
      .replaceAll('__APISERVER_PORT__', String(o.apiserverPort))
      .replaceAll('__HEARTBEAT_FACTOR__', String(o.heartbeatFactor))
      .replaceAll('__KWOK_PARALLELISM__', String(o.kwokParallelism))
      .replaceAll('__NODE_STATUS_MS__', String(o.nodeHeartbeatSeconds > 0 ? o.nodeHeartbeatSeconds * 1000 : 600_000))
      .replaceAll(
        '__NODE_STATUS_JITTER_MS__',
        String(o.nodeHeartbeatSeconds > 0 ? o.nodeHeartbeatSeconds * 1500 : 610_000),
      )
      .replace(
        /^# __COMPONENTS_PATCHES__.*$/m,
        o.nodeHeartbeatSeconds > 0
          ? [
              'componentsPatches:',
              '  - name: kwok-controller',
              '    extraArgs: [{ key: node-lease-duration-seconds, value: "0", override: true }]',
              '  - name: kube-controller-manager',
              `    extraArgs: [{ key: node-startup-grace-period, value: "${o.nodeHeartbeatSeconds * 10}s" }]`,
            ].join('\n')
          : '',
      )
      .replace(/__PORT_(\d)__/g, (_, i: string) => String(o.apiserverPort + Number(i)));
    writeFileSync(join(o.dir, 'kwok.yaml'), config);
    const r = spawnSync(
      join(bin, 'kwokctl'),
      [
        '--name',
        CLUSTER_NAME,
        '-c',
        join(o.dir, 'kwok.yaml'),
        'create',
        'cluster',
        '--runtime',
        'binary',
        '--etcd-binary',
        join(bin, 'etcd'),
        '--kube-apiserver-binary',
        join(bin, 'kube-apiserver'),
        '--kube-controller-manager-binary',
        join(bin, 'kube-controller-manager'),
        '--kube-scheduler-binary',
        join(bin, 'kube-scheduler'),
        '--kwok-controller-binary',
        join(bin, 'kwok'),
        '--kubeconfig',
        kubeconfigPath(o),
        '--wait',
        '3m',
      ],
      { env: toolEnv(o, bin), encoding: 'utf8' },
    );
    if (r.status !== 0) {
      down(o);
      throw new Error(`kwokctl create cluster failed (${r.status}): ${r.stderr}`);
    }
    // kwokctl may exit 0 with a dead apiserver: check it ourselves.
    try {
      await waitFor('kube-apiserver /readyz', 120_000, () => kubectl(o, ['get', '--raw', '/readyz']).trim() === 'ok');
    } catch (err) {
      const logs = join(clusterHome(o), 'logs');
      for (const f of existsSync(logs) ? readdirSync(logs) : []) {
        console.error(`--- ${f} (last lines)\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-8).join('\n')}`);
      }
      down(o);
      throw err;
    }
    await waitFor('the default ServiceAccount', 60_000, () =>
      kubectl(o, ['get', 'serviceaccount', 'default', '-o', 'name']).includes('default'),
    );
  }
  await startSupervisor(o, toolEnv(o, bin));
  await seed(o);
}

/** (Re)creates the seed's state: six nodes at the old version, all schedulable, nginx with its budget. */
export async function seed(o: ClusterOptions = clusterOptions()): Promise<void> {
  const nodes = clusterNodes(o.layout);
  const wanted = new Set(nodes.map((n) => n.metadata.name));
  const existing = kubectl(o, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])
    .split(/\s+/)
    .filter(Boolean);
  const stray = existing.filter((n) => !wanted.has(n));
  // Nodes a test added (surge nodes) go first, so that nothing more is scheduled on them, then every
  // pod bound to a node that is not ours, at once: the pod GC would only remove them after its
  // quarantine, and until then they would count as available replicas (a controller may still be
  // creating one as its node goes: loop).
  if (stray.length > 0) kubectl(o, ['delete', 'node', ...stray]);
  await waitFor('pods of removed nodes gone', 60_000, () => {
    const bound = kubectl(o, [
      'get',
      'pods',
      '--all-namespaces',
      '-o',
      'jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name} {.spec.nodeName}{"\\n"}{end}',
    ]);
    const orphans = bound
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, , node]) => node && !wanted.has(node));
    for (const [namespace = '', name = ''] of orphans)
      kubectl(o, ['delete', 'pod', '-n', namespace, name, '--grace-period=0', '--force', '--wait=false']);
    return orphans.length === 0;
  });
  const present = new Set(existing);
  const missing = nodes.filter((n) => !present.has(n.metadata.name));
  for (const node of nodes) {
    if (present.has(node.metadata.name)) {
      // Back to the declared state: schedulable, old version, original labels and taints. The node's
      // own status heartbeat may write it at the same moment (409 Conflict): then again.
      await retryOnConflict(() => kubectl(o, ['replace', '-f', '-'], JSON.stringify({ ...node, status: undefined })));
      kubectl(o, [
        'patch',
        'node',
        node.metadata.name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { nodeInfo: node.status.nodeInfo } }),
      ]);
    }
  }
  // One kubectl for all new nodes (a v1 List), not a process per node.
  if (missing.length > 0)
    kubectl(o, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: missing }));
  kubectl(o, ['apply', '-f', join(HERE, 'manifests')]);
  await waitFor('nodes Ready', 60_000 + nodes.length * 200, () => {
    const ready = kubectl(o, [
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    return ready.split('\n').filter((s) => s === 'True').length === nodes.length;
  });
  await waitFor('nginx available', 120_000, () => {
    const ready = kubectl(o, [
      'get',
      'deployment',
      'nginx-deployment',
      '-o',
      'jsonpath={.status.readyReplicas}/{.status.updatedReplicas}/{.status.replicas}',
    ]);
    return ready === '2/2/2';
  });
  await waitFor('the nginx budget observed', 60_000, () => {
    const pdb = kubectl(o, [
      'get',
      'pdb',
      'nginx-pdb',
      '-o',
      'jsonpath={.status.currentHealthy}/{.status.desiredHealthy}/{.status.observedGeneration}/{.metadata.generation}',
    ]);
    const [healthy, desired, observed, generation] = pdb.split('/');
    return healthy === '2' && desired === '1' && observed === generation;
  });
}

/** Stops the supervisor, then every process of the cluster (kwokctl delete), and checks none is left. */
export function down(o: ClusterOptions = clusterOptions()): void {
  stopSupervisor(o);
  if (!existsSync(workdir(o))) return;
  const pids = livePids(o);
  const bin = binaries();
  spawnSync(join(bin, 'kwokctl'), ['--name', CLUSTER_NAME, 'delete', 'cluster', '--kubeconfig', kubeconfigPath(o)], {
    env: toolEnv(o, bin),
    encoding: 'utf8',
  });
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  // A killed process takes a moment to let go of its ports: wait, then say if one is left.
  const until = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  const left = pids.filter(alive);
  if (left.length > 0) throw new Error(`cluster processes still running after down: ${left.join(', ')}`);
  rmSync(o.dir, { recursive: true, force: true });
}
