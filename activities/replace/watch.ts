/**
 * Watching a run of the command until it is over: heartbeats, its output copied to the worker's log as
 * it comes, its process group ended when its time is up or when the activity is cancelled for good
 * (the workflow asked, or the worker shuts down). A cancellation that only means "this attempt is no
 * longer the one the server waits for" (heartbeat timeout, activity not found, paused, reset) leaves
 * the command running: the next attempt, on this machine, finds it and waits for it instead.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivityCancellationDetails } from '@temporalio/common';
import { CancelledFailure } from '@temporalio/common';
import { endGroup, groupAlive } from './group.js';
import { redact } from './redact.js';
import type { ReplaceRun, RunFiles } from './runs.js';

/** What a watch needs of the activity. */
export interface Watcher {
  heartbeat(step: string, run: ReplaceRun): void;
  signal: AbortSignal;
  cancellation(): ActivityCancellationDetails | undefined;
  /** prefix of the worker's log lines: names the node and the key */
  label: string;
  /** values never printed, even to the worker's log */
  secrets: readonly string[];
}

/** Copies what the run prints to the worker's log, line by line, from where it was last read. */
export class OutputCopy {
  private offset = 0;
  private partial = '';

  constructor(
    private readonly path: string,
    private readonly w: Watcher,
  ) {}

  more(final = false): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (let n; (n = readSync(fd, buf, 0, buf.length, this.offset)) > 0;) {
        this.offset += n;
        this.partial += buf.subarray(0, n).toString();
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = final ? '' : (lines.pop() ?? '');
    for (const line of lines)
      if (line !== '' || !final) console.log(`${this.w.label}: ${redact(line, this.w.secrets)}`);
  }
}

/** Whether the cancellation means the command must stop (not only this attempt). */
function mustEnd(c: ActivityCancellationDetails | undefined, signal: AbortSignal): boolean {
  if (c) return c.cancelRequested || c.workerShutdown;
  const reason = (signal.reason as Error | undefined)?.message ?? '';
  return reason === 'CANCELLED' || reason === 'WORKER_SHUTDOWN';
}

/**
 * Waits until `over()` (the run has exited), ending its group at `deadline` (exit recorded as killed).
 * Throws the cancellation when the activity is cancelled, after ending the group if it must.
 */
export async function watchRun(
  run: ReplaceRun,
  files: RunFiles,
  deadline: number,
  over: () => boolean,
  w: Watcher,
): Promise<void> {
  const out = new OutputCopy(files.log(run), w);
  const group = { pid: run.pid ?? 0, pidStart: run.pidStart };
  try {
    for (let i = 0; !over(); i++) {
      if (w.signal.aborted) {
        if (mustEnd(w.cancellation(), w.signal)) {
          w.heartbeat('the activity is cancelled: ending the command', run);
          await endGroup(group);
          files.recordExit(run, 'killed: the activity was cancelled (or the worker shut down)');
        } else {
          console.warn(`${w.label}: this attempt is over; the command goes on, and the next attempt here waits for it`);
        }
        throw w.signal.reason instanceof Error ? w.signal.reason : new CancelledFailure('cancelled');
      }
      if (Date.now() > deadline) {
        w.heartbeat('timed out: ending the command', run);
        const seconds = Math.round((deadline - Date.parse(run.startedAt)) / 1000);
        console.warn(`${w.label}: timed out after ${seconds} s: ending its process group`);
        await endGroup(group, undefined, () => w.heartbeat('timed out: ending the command', run));
        files.recordExit(run, `killed: timed out after ${seconds} s`);
        return;
      }
      if (i % 2 === 0) {
        w.heartbeat(`running the replacement command (pid ${run.pid ?? '?'})`, run);
        out.more();
      }
      await sleep(500);
    }
    // What the command left running in its group (a background job) goes with it.
    if (run.pid && groupAlive(group)) {
      console.warn(`${w.label}: the command exited but left processes in its group: ending them`);
      await endGroup(group, undefined, () => w.heartbeat('ending what the command left running', run));
    }
  } finally {
    out.more(true);
  }
}
