/**
 * Readings of processes from /proc (resident memory now and at its peak, CPU time) and of the whole
 * machine (busy CPU time), and meters built on them: RSS peaks sampled every second, and the CPU each
 * process spent over a span of time.
 */
import { readFileSync } from 'node:fs';

/** Kilobytes: VmRSS is the resident set now, VmHWM its peak over the process's life (0 once it is gone). */
export function memoryKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU seconds the process has used (its own, not its children's). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (clock ticks, USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all processes, all cores). */
export function machineBusySeconds(): number {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return (cpu.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** Samples VmRSS of the named processes every second; keeps each one's peak. */
export function rssSampler(pids: () => Record<string, number>) {
  const peaks: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids())) peaks[name] = Math.max(peaks[name] ?? 0, memoryKb(pid, 'VmRSS'));
  }, 1000);
  return { peaks, stop: () => clearInterval(timer) };
}

export interface CpuSpent {
  /** seconds per named process, the most first */
  processes: (readonly [string, number])[];
  /** seconds of this process (the bench itself) */
  bench: number;
  /** busy seconds of the whole machine */
  busy: number;
}

/** Starts counting the CPU the named processes, this process and the machine spend; `stop` says how much. */
export function cpuMeter(pids: () => Record<string, number>): { stop(): CpuSpent } {
  const read = () => Object.fromEntries(Object.entries(pids()).map(([n, pid]) => [n, cpuSeconds(pid)]));
  const before = read();
  const benchBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  return {
    stop: () => {
      const after = read();
      const bench = process.cpuUsage(benchBefore);
      return {
        processes: Object.keys(after)
          .map((n) => [n, (after[n] ?? 0) - (before[n] ?? 0)] as const)
          .sort((a, b) => b[1] - a[1]),
        bench: (bench.user + bench.system) / 1e6,
        busy: machineBusySeconds() - busyBefore,
      };
    },
  };
}
