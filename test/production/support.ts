/**
 * What the production tests share: the two Temporal server processes on one PostgreSQL that
 * scripts/test.sh started (scripts/temporal-cluster.sh, `npm run test:production`), compiled workers
 * as processes of their own, each in a working directory and state folder of its own and connected to
 * one server's frontend (as on two machines without a load balancer), and the CLI run from such a
 * directory. The local cluster and its seed come from the e2e support.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folder of the two servers (DIR of scripts/temporal-cluster.sh). */
export function clusterDir(): string {
  const dir = process.env.K8S_RU_TEMPORAL_CLUSTER;
  if (!dir) {
    throw new Error(
      'K8S_RU_TEMPORAL_CLUSTER is not set: run these tests with `npm run test:production` (it starts the two Temporal servers)',
    );
  }
  return dir;
}

/** The frontends of server 1 and server 2. */
export function frontends(): [string, string] {
  const [one, two] = readFileSync(join(clusterDir(), 'addresses'), 'utf8').trim().split('\n');
  if (!one || !two) throw new Error(`${clusterDir()}/addresses does not list two frontends`);
  return [one, two];
}

// What the e2e support's own client (freshCluster, clusterRecord) connects to: server 2, which the
// tests never kill.
process.env.TEMPORAL_ADDRESS = frontends()[1];

export const serverPid = (n: 1 | 2) => Number(readFileSync(join(clusterDir(), `server-${n}`, 'pid'), 'utf8').trim());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs server process n (all four of its services) and waits until it is gone. */
export async function killServer(n: 1 | 2): Promise<void> {
  const pid = serverPid(n);
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

/** Starts whichever server process is not running and waits until both answer. */
export function startServers(): void {
  execFileSync('bash', [join(ROOT, 'scripts/temporal-cluster.sh'), 'start', clusterDir()], { stdio: 'inherit' });
}

export async function connect(address: string): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
}

export interface WorkerProcess {
  name: string;
  /** its working directory (its state folder is state/ in it) */
  dir: string;
  child: ChildProcess;
  /** what Temporal records as the worker's identity (the SDK's default: pid@host) */
  identity: string;
  log: string;
}

/** Builds the production worker (dist/, workflows bundled ahead), as `npm run build:worker` does. */
export function buildWorker(): void {
  execFileSync('npm', ['run', 'build:worker'], { cwd: ROOT, stdio: 'ignore' });
}

/**
 * A compiled worker (`npm run worker:dist`; the script execs node, so its pid is the worker's) in a
 * fresh working directory, connected to `address`; resolves once it polls.
 */
export async function startWorker(
  name: string,
  address: string,
  taskQueue: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const dir = mkdtempSync(join(tmpdir(), `k8s-ru-${name}-`));
  mkdirSync(join(dir, 'state'));
  const log = join(dir, 'worker.log');
  const out = openSync(log, 'a');
  const child = spawn('bash', [join(ROOT, 'scripts/worker.sh')], {
    cwd: dir,
    env: {
      ...process.env,
      ...env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      K8S_RU_TASK_QUEUE: taskQueue,
      K8S_RU_STATE_DIR: join(dir, 'state'),
      K8S_RU_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', out, out],
  });
  const w = { name, dir, child, identity: `${child.pid}@${hostname()}`, log };
  const deadline = Date.now() + 120_000;
  while (!readFileSync(log, 'utf8').includes('worker: polling task queue')) {
    if (child.exitCode !== null) throw new Error(`worker ${name} exited: ${readFileSync(log, 'utf8')}`);
    if (Date.now() > deadline)
      throw new Error(`worker ${name} did not poll within 120 s: ${readFileSync(log, 'utf8')}`);
    await sleep(200);
  }
  return w;
}

export async function killWorker(w: WorkerProcess | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((resolve) => w.child.once('exit', resolve));
  w.child.kill('SIGKILL');
  await exited;
}

/** `kru ARGS` (the CLI, `npm run cli`) run in `dir` against the frontend `address`; its standard output. */
export async function kru(dir: string, address: string, taskQueue: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/tsx'),
    [join(ROOT, 'client/main.ts'), ...args],
    {
      cwd: dir,
      env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', K8S_RU_TASK_QUEUE: taskQueue },
    },
  );
  return stdout;
}

/** A field of `kru status`'s table (`│ status │ UPDATE_COMPLETE │`). */
export function statusField(show: string, field: string): string | undefined {
  for (const line of show.split('\n')) {
    const cells = line.split('│').map((c) => c.trim());
    if (cells[1] === field) return cells[2];
  }
  return undefined;
}
