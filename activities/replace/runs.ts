/**
 * Runs of the replacement command, as this machine's workers keep them under the state dir
 * (`<state dir>/replace/<host>/<key hash>/<run>.*`): the record (`.json`), the pid and the exit status
 * the wrapper writes itself (`.pid`, `.exit`: they outlive a worker that dies while the command runs)
 * and the whole output (`.log`). A later attempt on this machine learns from them whether an earlier
 * run still runs and how it ended. Runs older than 30 days are removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** One run of the command, as recorded on the node (annotation), in heartbeats and in the run files. */
export interface ReplaceRun {
  /** the idempotency key `<upgrade id>/<upgrade run>/<node>/<target version>` (env.ts) */
  key: string;
  /** this run's id (its files are named after it) */
  run: string;
  /** the activity that started it: `<workflow id>/<run id>/<activity id>` (the same for all its attempts) */
  activity: string;
  attempt: number;
  host: string;
  /** the machine's boot id (Linux) */
  boot?: string;
  /** the process group's leader, = the group id */
  pid?: number;
  /** the leader's start time (Linux), so that a reused pid is not taken for it */
  pidStart?: string;
  startedAt: string;
  /** set once the run is over */
  endedAt?: string;
  /** '0', another exit status, or why there is none ('killed: …', 'unknown: …') */
  exit?: string;
}

/** The exit status that says the command changed nothing: the run does not count, a retry runs it again. */
export const EX_TEMPFAIL = '75';

/**
 * The wrapper run as the group's leader: it records its pid, runs the command, and records the exit
 * status when the command ends, even if the worker that started it is gone by then. Only shell
 * built-ins (the command's PATH is the catalogue's business).
 */
export const WRAPPER = 'echo $$ > "$2.pid"; /bin/sh -c "$1"; s=$?; echo $s > "$2.exit"; exit $s';

/**
 * Starts the command under the wrapper, in a session and process group of its own (so that it outlives
 * a worker that dies, and can be ended as a group), its output appended to the run's log.
 */
export function launch(files: RunFiles, run: ReplaceRun, command: string, env: Record<string, string>): ChildProcess {
  const log = openSync(files.log(run), 'a');
  try {
    return spawn('/bin/sh', ['-c', WRAPPER, 'k8s-rolling-upgrade-replace', command, files.prefix(run)], {
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
  } finally {
    closeSync(log);
  }
}

const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

export interface RunFiles {
  /** `<dir>/<run>`: the wrapper appends `.pid` and `.exit` */
  prefix(run: ReplaceRun): string;
  log(run: ReplaceRun): string;
  /** A new run record (not written yet). */
  create(fields: Omit<ReplaceRun, 'run' | 'startedAt'>): ReplaceRun;
  write(run: ReplaceRun): void;
  /** The runs of this key on this machine, each completed from its files (pid, exit). */
  list(): ReplaceRun[];
  /** The record completed from its files. */
  complete(run: ReplaceRun): ReplaceRun;
  /** Whether this state dir holds the run's record (else it was written elsewhere, or never). */
  has(run: ReplaceRun): boolean;
  /** Records why the run has no exit status of its own (the wrapper's own status, if any, wins). */
  recordExit(run: ReplaceRun, exit: string): void;
  /** The last `bytes` of the output. */
  output(run: ReplaceRun, bytes?: number): string;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
};

export function runFiles(stateDir: string, host: string, key: string): RunFiles {
  const hostDir = join(stateDir, 'replace', encodeURIComponent(host));
  const dir = join(hostDir, createHash('sha256').update(key).digest('hex').slice(0, 16));
  const prefix = (run: ReplaceRun) => join(dir, run.run);
  const complete = (run: ReplaceRun): ReplaceRun => {
    const pid = Number(read(`${prefix(run)}.pid`)) || undefined;
    const exit = read(`${prefix(run)}.exit`) || undefined;
    return { ...run, pid: run.pid ?? pid, exit: run.exit ?? exit };
  };
  return {
    prefix,
    log: (run) => `${prefix(run)}.log`,
    create: (fields) => {
      prune(hostDir);
      return { ...fields, run: `${Date.now()}-${randomUUID().slice(0, 8)}`, startedAt: new Date().toISOString() };
    },
    write(run) {
      const file = `${prefix(run)}.json`;
      try {
        mkdirSync(dir, { recursive: true });
        // a name of its own: two writers (attempts, workers sharing the dir, all PID 1) never share one
        const tmp = `${file}.${randomUUID()}.tmp`;
        writeFileSync(tmp, JSON.stringify(run));
        renameSync(tmp, file);
      } catch (err) {
        throw unwritable(stateDir, run, 'record', file, err);
      }
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      return names
        .filter((n) => n.endsWith('.json'))
        .flatMap((n) => {
          try {
            const run = JSON.parse(readFileSync(join(dir, n), 'utf8')) as ReplaceRun;
            return run.key === key ? [complete(run)] : [];
          } catch {
            return [];
          }
        });
    },
    complete,
    recordExit(run, exit) {
      // The folder may not exist here: the worker that recorded the run on the node died before writing
      // its files, or they went with another state dir (another worker on this host, a pod's emptyDir).
      const file = `${prefix(run)}.exit`;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, `${exit}\n`, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(stateDir, run, 'end', file, err);
      }
    },
    has: (run) => existsSync(`${prefix(run)}.json`),
    output(run, bytes = 64 * 1024) {
      try {
        const text = readFileSync(`${prefix(run)}.log`);
        return text.subarray(Math.max(0, text.length - bytes)).toString();
      } catch {
        return '';
      }
    },
  };
}

/** A run's file that cannot be written: which run, of which node, where, and what to do. */
function unwritable(stateDir: string, run: ReplaceRun, what: 'record' | 'end', file: string, err: unknown): Error {
  const cause = (err as Error).message;
  return new Error(
    `cannot write the ${what} of replacement run ${run.run} (key ${run.key}, node ${nodeOf(run.key)}, ` +
      `host ${run.host}) to ${file}: ${cause}. Make the worker's --state-dir (${stateDir}) a folder it ` +
      "can write, kept across restarts; a retry (Temporal's, or `kru retry-replace CLUSTER " +
      `${nodeOf(run.key)}\` once the node is parked) then records it`,
    { cause: err },
  );
}

/** The node of an idempotency key (`…/<node>/<target version>`). */
export const nodeOf = (key: string) => key.split('/').at(-2) ?? key;

/** Removes run files older than 30 days, and key folders left empty. */
function prune(hostDir: string): void {
  let keys: string[];
  try {
    keys = readdirSync(hostDir);
  } catch {
    return;
  }
  const old = Date.now() - MAX_AGE_MS;
  for (const k of keys) {
    const dir = join(hostDir, k);
    try {
      const files = readdirSync(dir);
      for (const f of files) if (statSync(join(dir, f)).mtimeMs < old) unlinkSync(join(dir, f));
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // another worker pruned it at the same time
    }
  }
}
