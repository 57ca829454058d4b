/**
 * The command's process group, seen from any worker on the same machine: is it still running (its id
 * not taken over by an unrelated process), and ending it (SIGTERM to the whole group, SIGKILL after a
 * grace). On Linux a group's leader is recognised by its start time (/proc/PID/stat) and a machine by
 * its boot id, so a reused process id or a reboot never passes for the command.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** This machine: its host name and, on Linux, its boot id (changes at every boot). */
export function machine(): { host: string; boot?: string } {
  let boot: string | undefined;
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    // not Linux
  }
  return { host: hostname(), boot };
}

/** When the process started (clock ticks since boot, field 22 of /proc/PID/stat), if it exists and this is Linux. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The group a command was started in: its leader's pid (= the group id) and start time. */
export interface Group {
  pid: number;
  pidStart?: string;
}

/**
 * Whether any process of the group still runs. A group id is not given to a new process while the
 * group has members; once it is gone, a new process with that id would be a leader of another start time.
 */
export function groupAlive(group: Group): boolean {
  try {
    process.kill(-group.pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code !== 'EPERM') throw err;
  }
  const start = processStart(group.pid);
  return start === undefined || group.pidStart === undefined || start === group.pidStart;
}

function signal(group: Group, sig: NodeJS.Signals): void {
  if (!groupAlive(group)) return;
  try {
    process.kill(-group.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** How long a command has to exit after SIGTERM before its group gets SIGKILL. */
export const KILL_GRACE_MS = 10_000;

/**
 * Ends every process of the group: SIGTERM, then SIGKILL after `graceMs`; resolves when none is
 * left (or, for a process that ignores even SIGKILL, after a further 10 s: false).
 */
export async function endGroup(group: Group, graceMs = KILL_GRACE_MS, beat: () => void = () => {}): Promise<boolean> {
  signal(group, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (groupAlive(group) && Date.now() < killAt) {
    beat();
    await sleep(100);
  }
  signal(group, 'SIGKILL');
  const giveUp = Date.now() + 10_000;
  while (groupAlive(group)) {
    if (Date.now() > giveUp) return false;
    beat();
    await sleep(100);
  }
  return true;
}
