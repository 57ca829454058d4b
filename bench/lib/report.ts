/**
 * How the benchmarks print: a figure aligned after its label, durations and sizes, timestamped
 * progress lines, and the machine a run was measured on (figures from a busy machine read differently).
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** "label:" padded to `width`, then the value: the figures of one bench line up. */
export const figure = (label: string, value: string, width: number) => `${`${label}:`.padEnd(width)} ${value}`;

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** A progress line with the time of day, for runs long enough that when something happened matters. */
export const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

export const coreCount = () => cpus().length;

/** "2 cores (AMD EPYC …)" */
export const cores = () => `${coreCount()} cores (${cpus()[0]?.model.trim() ?? '?'})`;

/** "24.0 GiB RAM", with what is free when `free` is set */
export function memory(free = false): string {
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  return `${gib(totalmem())} GiB RAM${free ? ` (${gib(freemem())} free)` : ''}`;
}

/** The 1, 5 and 15 minute load averages: "0.52 0.61 0.70" */
export const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
