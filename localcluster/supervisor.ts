/**
 * Starts and stops the cluster's supervisor (supervise.ts), a detached node process with its pid in
 * `<cluster dir>/supervisor/pid` and its log (a line per restart) in `<cluster dir>/supervisor/log`.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterFolder, alive, supervisorDir } from './components.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const pidFile = (o: ClusterFolder) => join(supervisorDir(o), 'pid');
export const supervisorLog = (o: ClusterFolder) => join(supervisorDir(o), 'log');

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The running supervisor's pid, if one runs. */
export function supervisorPid(o: ClusterFolder): number | undefined {
  if (!existsSync(pidFile(o))) return undefined;
  const pid = Number(readFileSync(pidFile(o), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Starts the supervisor unless one runs; resolves when it supervises (its pid is in its pid file). */
export async function startSupervisor(o: ClusterFolder, env: NodeJS.ProcessEnv): Promise<number> {
  const running = supervisorPid(o);
  if (running !== undefined) return running;
  mkdirSync(supervisorDir(o), { recursive: true });
  const log = openSync(supervisorLog(o), 'a');
  let pid: number | undefined;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'supervise.ts'), o.dir], {
      cwd: join(HERE, '..'), // where tsx is installed
      env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', () => undefined); // reported below: no pid, or it never writes its pid file
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + 30_000;
  while (pid !== undefined && alive(pid) && supervisorPid(o) !== pid && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  if (pid === undefined || supervisorPid(o) !== pid) {
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    const tail = existsSync(supervisorLog(o)) ? readFileSync(supervisorLog(o), 'utf8').split('\n').slice(-10) : [];
    throw new Error(`the cluster's supervisor did not start; its log ends:\n${tail.join('\n')}`);
  }
  return pid;
}

/** Stops the supervisor first of all (nothing may be restarted while the cluster goes down); synchronous. */
export function stopSupervisor(o: ClusterFolder): void {
  const pid = supervisorPid(o);
  rmSync(pidFile(o), { force: true }); // a supervisor that misses the kill exits on its next tick
  if (pid === undefined) return;
  // SIGTERM, which it handles between two rounds: a restart it began is finished and its pid recorded
  // (so `down` finds and stops that process too). SIGKILL only if it does not go.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    const until = Date.now() + 5_000;
    while (alive(pid) && Date.now() < until) pause(50);
    if (!alive(pid)) return;
  }
  throw new Error(`the cluster's supervisor (pid ${pid}) still runs after SIGKILL`);
}
