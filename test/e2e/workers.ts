/**
 * What the e2e tests that stop workers share (crash, shutdown): the production worker in its own
 * process (scripts/worker.sh, as `npm run worker:dist`; the script execs node, so a signal reaches the
 * worker itself, as a container's would), a catalogue whose replacements take long enough to stop a
 * worker in the middle of one, an independent watch of the nodes, and the upgrade's history events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, type V1Node, Watch } from '@kubernetes/client-node';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { kubeconfig } from './support.js';

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The fixture catalogue with the test cluster's kwok replacements taking `seconds`. */
export function catalogueWithDelay(seconds: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'k8s-ru-workers-')), 'catalogue.yaml');
  const fixture = readFileSync(join(root, 'test/fixtures/catalogue.yaml'), 'utf8');
  const kwok = 'replace: { provider: kwok, delaySeconds: 1 }';
  if (!fixture.includes(kwok)) throw new Error(`the fixture catalogue's test cluster no longer has ${kwok}`);
  writeFileSync(path, fixture.replaceAll(kwok, `replace: { provider: kwok, delaySeconds: ${seconds} }`));
  return path;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** the worker's identity in history events (the SDK's default: pid@host) */
  identity: string;
  /** what it printed so far */
  output(): string;
  /** how and when (ms since the epoch) it ended */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  running(): boolean;
}

export function startWorker(taskQueue: string, catalogue: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn('bash', [join(root, 'scripts/worker.sh')], {
    cwd: root,
    env: {
      ...process.env,
      K8S_RU_TASK_QUEUE: taskQueue,
      K8S_RU_CATALOGUE: catalogue,
      K8S_RU_LOG_LEVEL: 'WARN',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer) => {
    output += b.toString();
    process.stderr.write(b);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    child,
    identity: `${child.pid}@${hostname()}`,
    output: () => output,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
  };
}

export async function kill(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!worker.running()) return;
  worker.child.kill(signal);
  await worker.exited;
}

/** The worker's end, or an error naming what it printed if it has not ended within `ms`. */
export async function exitWithin(worker: WorkerProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the worker still runs after ${ms / 1000} s; it said:\n${worker.output()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([worker.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface NodeWatch {
  /** DELETED events per node */
  deletions: Map<string, number>;
  /** when (ms since the epoch) each node was last deleted, and registered again after a deletion */
  deletedAt: Map<string, number>;
  addedAgainAt: Map<string, number>;
  stop(): void;
}

/** Node deletions and additions, seen independently of the upgrade. */
export async function watchNodes(): Promise<NodeWatch> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig());
  const w: Omit<NodeWatch, 'stop'> = { deletions: new Map(), deletedAt: new Map(), addedAgainAt: new Map() };
  const ac = await new Watch(config).watch(
    '/api/v1/nodes',
    {},
    (type: string, node: V1Node) => {
      const name = node.metadata?.name ?? '';
      if (type === 'DELETED') {
        w.deletions.set(name, (w.deletions.get(name) ?? 0) + 1);
        w.deletedAt.set(name, Date.now());
      }
      // (the watch begins with an ADDED for every node there)
      if (type === 'ADDED' && w.deletedAt.has(name)) w.addedAgainAt.set(name, Date.now());
    },
    () => undefined,
  );
  return { ...w, stop: () => ac.abort() };
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The events of the upgrade and of each of its node children, one list per workflow. */
export async function upgradeHistories(client: Client, handle: WorkflowHandle): Promise<HistoryEvent[][]> {
  const parent = (await handle.fetchHistory()).events ?? [];
  const children = parent.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
  const all = [parent];
  for (const id of new Set(children)) all.push((await client.workflow.getHandle(id).fetchHistory()).events ?? []);
  return all;
}

/** The last attempt of `activity` for `node` in these histories: who ran it, which attempt, how it ended. */
export function lastAttempt(histories: HistoryEvent[][], activity: string, node: string) {
  for (const events of histories) {
    const scheduled = events.find((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name !== activity) return false;
      const input = a.input?.payloads?.[0]?.data;
      return input
        ? (JSON.parse(Buffer.from(input).toString('utf8')) as { snapshot?: { name?: string } }).snapshot?.name === node
        : false;
    });
    if (!scheduled) continue;
    const id = String(scheduled.eventId);
    const of = (e: HistoryEvent) =>
      String(
        e.activityTaskStartedEventAttributes?.scheduledEventId ??
          e.activityTaskCompletedEventAttributes?.scheduledEventId ??
          e.activityTaskFailedEventAttributes?.scheduledEventId ??
          e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
          '',
      ) === id;
    const started = events.find(
      (e) => e.activityTaskStartedEventAttributes && of(e),
    )?.activityTaskStartedEventAttributes;
    const ended = events.find((e) => !e.activityTaskStartedEventAttributes && of(e));
    return {
      identity: started?.identity ?? undefined,
      attempt: started?.attempt ?? undefined,
      lastFailure: started?.lastFailure?.message ?? undefined,
      completed: Boolean(ended?.activityTaskCompletedEventAttributes),
    };
  }
  throw new Error(`no ${activity} for ${node} in the upgrade's histories`);
}

/** An event's time in ms since the epoch. */
export function eventTime(e: HistoryEvent): number {
  const t = e.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}
