/**
 * The production worker as its own process, as operators run it: compiled (`npm run build:worker`),
 * started by scripts/worker.sh (workflows bundled ahead, heap and malloc arenas capped), its output
 * in a log file from which the bench reads when it polls and its stats at its busiest.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './setup.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkerProcess {
  child: ChildProcess;
  /** the worker's pid (scripts/worker.sh execs node: one process) */
  pid: number;
  /** resolves once the worker polls its task queue; rejects if it exits or is not polling after 180 s */
  ready: Promise<void>;
}

export interface WorkerStart {
  /** the Temporal server */
  address: string;
  taskQueue: string;
  logFile: string;
  /** more environment: the activities' settings */
  env: Record<string, string>;
}

/** Builds the worker and starts it; it logs to `logFile`. */
export function startWorker({ address, taskQueue, logFile, env: settings }: WorkerStart): WorkerProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  execFileSync('npm', ['run', 'build:worker'], { cwd: ROOT, stdio: 'ignore' });
  const out = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...settings,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    K8S_RU_TASK_QUEUE: taskQueue,
    K8S_RU_LOG_LEVEL: 'WARN',
    K8S_RU_WORKER_STATS_EVERY: '5',
  };
  for (const k of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_API_KEY']) delete env[k];
  // K8S_RU_WORKER_HEAP_MB, K8S_RU_WORKER_SEMI_SPACE_MB and MALLOC_ARENA_MAX, when set, change its memory settings.
  const child = spawn('bash', [join(ROOT, 'scripts/worker.sh')], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  closeSync(out);
  const ready = (async () => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}); log ${logFile}`);
      if (readFileSync(logFile, 'utf8').includes('worker: polling')) return;
      if (Date.now() > deadline) throw new Error(`worker not polling after 180 s; log ${logFile}`);
      await sleep(250);
    }
  })();
  return { child, pid: child.pid ?? 0, ready };
}

/** The worker's own stats line (--stats-every) with the most cached workflows, from its log. */
export function peakWorkerStats(logFile: string): string {
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('worker: cached workflows'));
  const cached = (l: string) => Number(/cached workflows (\d+)/.exec(l)?.[1] ?? 0);
  const peak = lines.reduce((a, b) => (cached(b) > cached(a) ? b : a), '');
  return peak ? peak.replace('worker: ', '') : 'no stats in the worker log';
}

/** SIGTERM (the worker drains its tasks), SIGKILL after 15 s. */
export async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
  child.kill('SIGKILL');
  await exited;
}
