/**
 * Before a run starts: what earlier runs of the command on this node (recorded on the node, in the last
 * heartbeat of the previous attempt, in this machine's run files) tell. A run still going on this
 * machine is waited for; one that may still go on another machine cannot be seen from here, so the
 * replacement is refused (ReplaceInDoubt, non-retryable: the operator checks and clears it). A run that
 * ended decides the outcome when this activity started it (a retry never runs the command again) or
 * when this attempt had to wait for it; a finished run of another activity (an operator's
 * `retryReplace`, or another upgrade) does not count, nor one that changed nothing (exit 75, or never
 * started).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../model/errors.js';
import type { Kube } from '../kube/client.js';
import { groupAlive } from './group.js';
import type { ReplaceResult } from './provider.js';
import { forgetRunCommand, updateRun } from './record.js';
import { outputForHistory } from './redact.js';
import { EX_TEMPFAIL, type ReplaceRun, type RunFiles } from './runs.js';
import { type Watcher, watchRun } from './watch.js';

export interface Settling {
  key: string;
  /** this activity (`<workflow id>/<run id>/<activity id>`) */
  activity: string;
  here: { host: string; boot?: string };
  /** this machine's run files of a key */
  files: (key: string) => RunFiles;
  kube: Kube;
  node: string;
  timeoutSeconds: number;
  watcher: Watcher;
}

/** The exit of a run recorded on the node that never started (the worker stopped in between). */
export const NOT_STARTED = 'not started';
/** How long a recorded run may take to write its pid before it counts as never started. */
export const START_GRACE_MS = 60_000;

const defined = (r: Partial<ReplaceRun>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));

/** The run that decides this attempt's outcome, if any; throws ReplaceInDoubt. */
export async function settle(s: Settling, seen: (ReplaceRun | undefined)[]): Promise<ReplaceRun | undefined> {
  const onNode = seen[0];
  const runs = new Map<string, ReplaceRun>();
  for (const r of seen) if (r) runs.set(r.run, { ...runs.get(r.run), ...defined(r) } as ReplaceRun);
  let decides: ReplaceRun | undefined;
  for (let run of [...runs.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    let waited = false;
    if (run.exit === undefined) {
      if (run.host !== s.here.host) throw inDoubt(s, run);
      [run, waited] = await ended(s, run);
    }
    if (onNode?.run === run.run && onNode.exit === undefined) {
      await updateRun(s.kube, s.node, onNode, { ...run, endedAt: run.endedAt ?? new Date().toISOString() });
    }
    const counts = run.exit !== NOT_STARTED && run.exit !== EX_TEMPFAIL;
    if (counts && run.key === s.key && (run.activity === s.activity || waited)) decides = run;
  }
  return decides;
}

/** The run (on this machine) once it is over, with its exit status; and whether it had to be waited for. */
async function ended(s: Settling, recorded: ReplaceRun): Promise<[ReplaceRun, boolean]> {
  const files = s.files(recorded.key);
  let run = files.complete(recorded);
  const end = (exit: string): [ReplaceRun, boolean] => {
    files.recordExit(run, exit);
    return [{ ...files.complete(run), endedAt: new Date().toISOString() }, false];
  };
  if (run.exit !== undefined) return [{ ...run, endedAt: new Date().toISOString() }, false];
  if (run.boot && s.here.boot && run.boot !== s.here.boot) return end('unknown: the machine restarted while it ran');
  while (run.pid === undefined && Date.now() < Date.parse(run.startedAt) + START_GRACE_MS) {
    s.watcher.heartbeat('waiting for a run recorded a moment ago to start', run);
    await sleep(500);
    run = files.complete(run);
  }
  if (run.pid === undefined) return end(NOT_STARTED);
  if (!groupAlive({ pid: run.pid, pidStart: run.pidStart })) return end(noExit(files, run));
  console.log(`${s.watcher.label}: waiting for the run started by attempt ${run.attempt} (pid ${run.pid})`);
  const group = { pid: run.pid, pidStart: run.pidStart };
  await watchRun(
    run,
    files,
    Date.parse(run.startedAt) + s.timeoutSeconds * 1000,
    () => !groupAlive(group) || files.complete(run).exit !== undefined,
    s.watcher,
  );
  const [over] = end(noExit(files, run));
  return [over, true];
}

/** Why a run that is over has no exit status (the wrapper writes it in the state dir that started it). */
const noExit = (files: RunFiles, run: ReplaceRun) =>
  files.has(run)
    ? 'unknown: it ended without recording an exit status'
    : "unknown: it ended, and its run files are not in this worker's --state-dir (another worker on this " +
      'host with another --state-dir, or a state dir that was not kept)';

function inDoubt(s: Settling, run: ReplaceRun): ApplicationFailure {
  return ApplicationFailure.create({
    type: Failure.ReplaceInDoubt,
    nonRetryable: true,
    message:
      `the replacement of node ${s.node} started by attempt ${run.attempt} on host ${run.host} ` +
      `(pid ${run.pid ?? 'not recorded'}, at ${run.startedAt}, key ${run.key}) may still be running there, ` +
      `and this worker (host ${s.here.host}) cannot tell: make sure it has ended, then remove its record ` +
      `(${forgetRunCommand(s.node)}) and retry the replacement`,
    details: [
      {
        node: s.node,
        key: run.key,
        host: run.host,
        pid: run.pid,
        startedAt: run.startedAt,
        clear: forgetRunCommand(s.node),
      },
    ],
  });
}

/** The attempt's result from the run that decides it: exit 0, else the failure with its last output. */
export function outcome(s: Settling, run: ReplaceRun, secrets: readonly string[]): ReplaceResult {
  const exit = run.exit ?? 'unknown';
  if (exit === '0') {
    return { node: s.node, replaced: true, detail: `the command exited 0 (attempt ${run.attempt}, run ${run.run})` };
  }
  const said = outputForHistory(s.files(run.key).output(run), secrets);
  const what = /^\d+$/.test(exit) ? `exited with ${exit}` : `ended: ${exit}`;
  throw ApplicationFailure.create({
    type: Failure.ReplaceFailed,
    // 75: the command says it changed nothing, so another attempt may run it
    nonRetryable: exit !== EX_TEMPFAIL,
    message: `replace command for node ${s.node} ${what}${said ? `; last output: ${said}` : ''}`,
    details: [{ node: s.node, key: run.key, run: run.run, exit }],
  });
}
