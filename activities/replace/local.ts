/**
 * What this machine knows of a run of the replacement command recorded on a node with no end: from
 * the run files under the worker's state dir and the process table. For `recover` (and anything else
 * that must not take a run for over while it may still run): a run whose attempt was lost (heartbeat
 * timeout, a terminated workflow) goes on, and its end reaches only this machine's run files.
 */
import { groupAlive, machine } from './group.js';
import { type ReplaceRun, runFiles } from './runs.js';
import { NOT_STARTED, START_GRACE_MS } from './settle.js';

/** `running`: it still runs here; `{ exit }`: it is over (the exit status, or why there is none); `unknown`: this machine cannot tell. */
export type LocalRunState = 'running' | { exit: string } | 'unknown';

/**
 * Whether `run` (as recorded on the node: recordedRun) is still running, as seen from this machine and
 * the state dir `stateDir`. Only a run started on this host can be known; one of another host, or one
 * whose files are not in this state dir and whose pid was never recorded, is `unknown`. Reads only.
 */
export function localRunEnded(stateDir: string, run: ReplaceRun): LocalRunState {
  if (run.exit !== undefined) return { exit: run.exit };
  const here = machine();
  if (run.host !== here.host) return 'unknown';
  if (run.boot && here.boot && run.boot !== here.boot) return { exit: 'unknown: the machine restarted while it ran' };
  const files = runFiles(stateDir, run.host, run.key);
  const known = files.complete(run);
  if (known.exit !== undefined) return { exit: known.exit };
  if (known.pid === undefined) {
    if (Date.now() < Date.parse(run.startedAt) + START_GRACE_MS) return 'running'; // starting
    // its record is here and the wrapper never wrote its pid: the command never started
    return files.has(run) ? { exit: NOT_STARTED } : 'unknown';
  }
  if (groupAlive({ pid: known.pid, pidStart: known.pidStart })) return 'running';
  // the wrapper writes the exit status just before its group ends
  return { exit: files.complete(run).exit ?? 'unknown: it ended without recording an exit status' };
}
