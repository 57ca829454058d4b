/**
 * What the telemetry tests share: the worker in its own process (`npm run worker`, its flags and
 * variables as an operator gives them: the Runtime is installed once per process), every line it
 * writes, and free loopback ports for the servers they start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** every line written so far, stdout and stderr */
  lines: string[];
  /** SIGTERM, then the process's end */
  stop(): Promise<void>;
}

/** Starts `worker/main.ts` with `args` on `taskQueue`; resolves once it polls. */
export async function startWorker(
  taskQueue: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts', '--task-queue', taskQueue, ...args], {
    cwd: root,
    env: { ...process.env, K8S_RU_LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // Kept for a look after a failed run: .run/test/worker-<queue>.log (or under K8S_RU_TEST_RUN).
  const log = join(process.env.K8S_RU_TEST_RUN ?? join(root, '.run/test'), `worker-${taskQueue}.log`);
  mkdirSync(dirname(log), { recursive: true });
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      appendFileSync(log, parts.map((l) => `${l}\n`).join(''));
    });
    stream?.on('end', () => rest && lines.push(rest));
  }
  const w: WorkerProcess = {
    child,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await ended;
    },
  };
  const deadline = Date.now() + 120_000;
  while (!lines.some((l) => l.includes('worker: polling task queue'))) {
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${lines.join('\n')}`);
    if (Date.now() > deadline) {
      await w.stop();
      throw new Error(`the worker did not poll within 120 s:\n${lines.join('\n')}`);
    }
    await sleep(200);
  }
  return w;
}

async function listens(port: number): Promise<number | undefined> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return undefined;
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

let next = Number(process.env.TEST_TELEMETRY_PORT_BASE ?? 0);

/**
 * A loopback port nothing listens on now: from TEST_TELEMETRY_PORT_BASE up when set (runs side by side
 * each keep to a range of their own), else one the system picks.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await listens(next > 0 ? next++ : 0);
    if (port !== undefined) return port;
  }
  throw new Error(`no free loopback port from ${next - 100} to ${next - 1}`);
}
