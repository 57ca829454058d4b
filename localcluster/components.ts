/**
 * The cluster's processes one by one: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
 * and kwok-controller, as kwokctl's binary runtime runs them (its own command line for each, from the
 * cluster's kwokctl configuration; a pid file each under the cluster's `pids` folder; output to
 * `logs/NAME.log`). The supervisor (supervise.ts) restarts one that exits, as a kubelet restarts a
 * static pod; `stopComponent` takes one down on purpose and keeps it down, `startComponent` brings it
 * back under supervision.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** kwokctl's name for the cluster (the catalogue's cluster of the same name reaches it). */
export const CLUSTER_NAME = 'k8s-upgrade-test';

/** The components, in the order kwokctl starts them. */
export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok-controller',
] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** Where a cluster lives: only its folder matters here. */
export interface ClusterFolder {
  dir: string;
}

export const workdir = (o: ClusterFolder) => join(o.dir, 'kwok');
export const clusterHome = (o: ClusterFolder) => join(workdir(o), 'clusters', CLUSTER_NAME);
const pidDir = (o: ClusterFolder) => join(clusterHome(o), 'pids');
const pidFile = (o: ClusterFolder, name: string) => join(pidDir(o), `${name}.pid`);
/** The supervisor's folder: its pid, its log, the restart counts and the "stopped on purpose" markers. */
export const supervisorDir = (o: ClusterFolder) => join(o.dir, 'supervisor');
const stoppedMarker = (o: ClusterFolder, name: string) => join(supervisorDir(o), 'stopped', name);
export const restartsFile = (o: ClusterFolder) => join(supervisorDir(o), 'restarts.json');

/** A component's command line as kwokctl runs it. */
export interface ComponentSpec {
  name: ComponentName;
  binary: string;
  args: string[];
  workDir: string;
  envs: { name: string; value: string }[];
}

export function componentName(name: string): ComponentName {
  if ((COMPONENTS as readonly string[]).includes(name)) return name as ComponentName;
  throw new Error(`unknown component "${name}": expected one of ${COMPONENTS.join(', ')}`);
}

/** Each component's command line, from the configuration kwokctl saved when it created the cluster. */
export function componentSpecs(o: ClusterFolder): ComponentSpec[] {
  const file = join(clusterHome(o), 'kwok.yaml');
  if (!existsSync(file))
    throw new Error(`no local cluster in ${o.dir} (${file} is missing): run \`npm run cluster -- up\``);
  const config = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; components?: Partial<ComponentSpec>[] } | null)
    .find((d) => d?.kind === 'KwokctlConfiguration');
  const specs = (config?.components ?? []).map((c) => ({
    name: componentName(String(c.name)),
    binary: String(c.binary),
    args: (c.args ?? []).map(String),
    workDir: String(c.workDir ?? clusterHome(o)),
    envs: c.envs ?? [],
  }));
  const missing = COMPONENTS.filter((n) => !specs.some((s) => s.name === n));
  if (missing.length > 0) throw new Error(`${file} does not define ${missing.join(', ')}`);
  return specs;
}

/**
 * True while the process holds anything: a zombie whose other threads still run (and hold its
 * sockets) counts as alive; a zombie with one thread left is dead, only not yet reaped.
 */
export function alive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? '1');
    return (state !== 'Z' && state !== 'X') || threads > 1;
  } catch {
    return false;
  }
}

/** The cluster's processes by component name (etcd, kube-apiserver, …, kwok-controller), alive or not. */
export function componentPids(o: ClusterFolder): Record<string, number> {
  if (!existsSync(pidDir(o))) return {};
  return Object.fromEntries(
    readdirSync(pidDir(o)).map((f) => [
      f.replace(/\.pid$/, ''),
      Number(readFileSync(join(pidDir(o), f), 'utf8').trim()),
    ]),
  );
}

/** Pids of the cluster's processes that are still alive. */
export function livePids(o: ClusterFolder): number[] {
  return Object.values(componentPids(o)).filter(alive);
}

/** The component's process, when it runs. */
export function runningPid(o: ClusterFolder, name: ComponentName): number | undefined {
  const pid = componentPids(o)[name];
  return pid !== undefined && alive(pid) ? pid : undefined;
}

/** True when the component was stopped on purpose (`stopComponent`): the supervisor leaves it down. */
export const isStopped = (o: ClusterFolder, name: ComponentName) => existsSync(stoppedMarker(o, name));

/**
 * Starts the component as kwokctl does (its binary, arguments, folder and environment; in a session
 * of its own, so it outlives its starter) with its output appended to its log, and records its pid.
 */
export function launch(o: ClusterFolder, spec: ComponentSpec): number {
  const log = openSync(join(clusterHome(o), 'logs', `${spec.name}.log`), 'a');
  try {
    const child = spawn(spec.binary, spec.args, {
      cwd: spec.workDir,
      env: { ...process.env, ...Object.fromEntries(spec.envs.map((e) => [e.name, e.value])) },
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', (err) => console.error(`${spec.name}: ${err.message}`));
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.binary})`);
    child.unref();
    writeFileSync(pidFile(o, spec.name), String(child.pid));
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitDead(pid: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) still runs ${timeoutMs / 1000} s after the kill`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Takes the component down on purpose and keeps it down: marks it stopped (so the supervisor does not
 * restart it), then kills it (SIGKILL unless told: a crash, not a shutdown) and waits until it is gone.
 */
export async function stopComponent(o: ClusterFolder, name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const component = componentName(name);
  componentSpecs(o); // the cluster exists
  mkdirSync(join(supervisorDir(o), 'stopped'), { recursive: true });
  writeFileSync(stoppedMarker(o, component), `${new Date().toISOString()}\n`);
  const pid = runningPid(o, component);
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  await waitDead(pid, component);
}

/**
 * Brings a component back (a no-op when it runs) and hands it to the supervisor again. The new pid is
 * recorded before the stopped marker goes: the supervisor, which reads the marker first, never sees
 * the component unmarked and dead, so it cannot start a second one.
 */
export function startComponent(o: ClusterFolder, name: string): number {
  const component = componentName(name);
  const spec = componentSpecs(o).find((s) => s.name === component);
  if (!spec) throw new Error(`${component} is not part of the cluster in ${o.dir}`);
  const pid = runningPid(o, component) ?? launch(o, spec);
  rmSync(stoppedMarker(o, component), { force: true });
  return pid;
}

/** How many times the supervisor restarted each component since `up` (0 for one it never restarted). */
export function restartCounts(o: ClusterFolder): Record<ComponentName, number> {
  const counts = existsSync(restartsFile(o))
    ? (JSON.parse(readFileSync(restartsFile(o), 'utf8')) as Partial<Record<ComponentName, number>>)
    : {};
  return Object.fromEntries(COMPONENTS.map((n) => [n, counts[n] ?? 0])) as Record<ComponentName, number>;
}
