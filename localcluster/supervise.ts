/**
 * The local cluster's supervisor: a detached process that `up` starts and `down` stops (supervisor.ts).
 * As a kubelet restarts a static pod, it restarts any component of the cluster whose process is gone
 * (kube-controller-manager and kube-scheduler exit when they lose their leader lease, e.g. while the
 * API server is down), unless it was stopped on purpose (components.ts, `stopComponent`). Each
 * component has its own back-off: the first restart at once, then 1 s doubling to 10 s between
 * restarts while it keeps exiting, back to at once after it ran 30 s. One log line per restart; the
 * counts go to restarts.json. It exits when its pid file names another process (a newer supervisor,
 * or `down` removed it).
 *
 * Usage: node --import tsx localcluster/supervise.ts CLUSTER_DIR
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ComponentName,
  alive,
  componentPids,
  componentSpecs,
  isStopped,
  launch,
  restartCounts,
  restartsFile,
  supervisorDir,
} from './components.js';

const TICK_MS = 500;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
/** A component that ran this long is healthy again: its next restart is immediate. */
const HEALTHY_AFTER_MS = 30_000;

const dir = process.argv[2];
if (!dir) {
  console.error('usage: supervise.ts CLUSTER_DIR');
  process.exit(2);
}
const o = { dir };
const pidFile = join(supervisorDir(o), 'pid');
const specs = componentSpecs(o);
const counts = restartCounts(o);
const backoff = new Map<ComponentName, { delayMs: number; notBefore: number; launchedAt: number }>();

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

function saveCounts(): void {
  const tmp = `${restartsFile(o)}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(counts));
  renameSync(tmp, restartsFile(o));
}

/** Restarts what is down and should not be; returns false when this supervisor must go. */
function tick(): boolean {
  if (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() !== String(process.pid)) return false;
  const now = Date.now();
  for (const spec of specs) {
    const state = backoff.get(spec.name) ?? { delayMs: FIRST_BACKOFF_MS, notBefore: 0, launchedAt: 0 };
    backoff.set(spec.name, state);
    // The marker first, then the pid: startComponent writes the new pid before it removes the marker.
    if (isStopped(o, spec.name)) continue;
    const pid = componentPids(o)[spec.name];
    if (pid !== undefined && alive(pid)) {
      if (now - state.launchedAt >= HEALTHY_AFTER_MS) Object.assign(state, { delayMs: FIRST_BACKOFF_MS, notBefore: 0 });
      continue;
    }
    if (now < state.notBefore) continue;
    const restarted = launch(o, spec);
    // stopComponent may have marked it between our check and the launch; it reads the pid after
    // marking, so either it kills this process or we see its marker now.
    if (isStopped(o, spec.name)) {
      process.kill(restarted, 'SIGKILL');
      log(`${spec.name} was stopped on purpose while it was being restarted: killed pid ${restarted} again`);
      continue;
    }
    counts[spec.name] += 1;
    saveCounts();
    log(
      `restarted ${spec.name}: pid ${pid ?? '?'} had exited, now pid ${restarted} ` +
        `(restart ${counts[spec.name]}; the next no sooner than ${state.delayMs / 1000} s from now)`,
    );
    Object.assign(state, {
      notBefore: now + state.delayMs,
      delayMs: Math.min(state.delayMs * 2, MAX_BACKOFF_MS),
      launchedAt: now,
    });
  }
  return true;
}

// Tell the starter we run (supervisor.ts waits for its pid here); a second supervisor replaces us.
writeFileSync(pidFile, String(process.pid));
log(`supervising ${specs.map((s) => s.name).join(', ')} of ${dir}`);
const timer = setInterval(() => {
  try {
    if (tick()) return;
    log('no longer the supervisor of this cluster: exiting');
    clearInterval(timer);
  } catch (err) {
    log(`supervision error: ${(err as Error).message}`);
  }
}, TICK_MS);
process.on('SIGTERM', () => {
  log('stopped (SIGTERM)');
  process.exit(0);
});
