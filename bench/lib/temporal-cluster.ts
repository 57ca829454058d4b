/**
 * The production-shaped Temporal for a bench (`bench:scale -- --temporal cluster`): two server
 * processes on one PostgreSQL (scripts/temporal-cluster.sh) in $K8S_RU_BENCH_RUN/<name>, PostgreSQL on
 * BENCH_TEMPORAL_PORT (else the bench's default), the frontends on it +1 and +11, the membership ports
 * from BENCH_TEMPORAL_MEMBERSHIP_PORT (default port+20, below 32768). PostgreSQL's memory and CPU are
 * those of all its processes (the postmaster and the backends it forks): memory as the sum of their
 * proportional set sizes (shared buffers counted once), sampled every second.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds } from './sampling.js';
import { port, ROOT, runPath, type TemporalServer } from './setup.js';

export interface TemporalCluster extends TemporalServer {
  /** the second process's frontend */
  address2: string;
  /** the two server processes, by name */
  pids(): Record<string, number>;
  /** PostgreSQL's postmaster */
  postgresPid(): number;
}

export function temporalCluster(name: string, defaultPort: number): TemporalCluster {
  const dir = runPath(name);
  const p = port('BENCH_TEMPORAL_PORT', defaultPort);
  const membership = port('BENCH_TEMPORAL_MEMBERSHIP_PORT', p + 20);
  const script = (action: 'start' | 'stop') =>
    execFileSync('bash', [join(ROOT, 'scripts/temporal-cluster.sh'), action, dir], {
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_CLUSTER_PORT: String(p), TEMPORAL_CLUSTER_MEMBERSHIP_PORT: String(membership) },
    });
  const pid = (n: 1 | 2) => Number(readFileSync(join(dir, `server-${n}`, 'pid'), 'utf8').trim());
  return {
    address: `127.0.0.1:${p + 1}`,
    address2: `127.0.0.1:${p + 11}`,
    pid: () => pid(1),
    pids: () => ({ 'temporal-1': pid(1), 'temporal-2': pid(2) }),
    postgresPid: () => Number(readFileSync(join(dir, 'postgresql/data/postmaster.pid'), 'utf8').split('\n')[0]),
    start: (options = {}) => {
      if (options.fresh) {
        script('stop');
        rmSync(dir, { recursive: true, force: true });
      }
      script('start');
    },
    stop: () => script('stop'),
  };
}

/** The postmaster and its children. */
function family(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds of the postmaster, the backends it has reaped and those running. */
function familyCpu(postmaster: number): number {
  let reaped = 0;
  try {
    const stat = readFileSync(`/proc/${postmaster}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    reaped = (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime
  } catch {
    // gone
  }
  return reaped + family(postmaster).reduce((a, pid) => a + cpuSeconds(pid), 0);
}

/** Samples PostgreSQL's memory every second and counts its CPU until `stop`. */
export function postgresMeter(postmaster: number) {
  let peakKb = 0;
  const cpuBefore = familyCpu(postmaster);
  const timer = setInterval(() => {
    peakKb = Math.max(
      peakKb,
      family(postmaster).reduce((a, pid) => a + pssKb(pid), 0),
    );
  }, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakKb, cpu: familyCpu(postmaster) - cpuBefore };
    },
  };
}
