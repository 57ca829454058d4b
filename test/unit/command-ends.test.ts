/**
 * How a run's end is known and recorded, with real processes (no servers): the end of a run whose
 * folder is missing in this state dir (its worker died before writing it, another --state-dir) is
 * recorded, never an ENOENT loop; an unwritable state dir is named with the run, the node and what
 * to do; a previous upgrade's run (same workflow id, another run) never decides this one's outcome;
 * and what this machine tells `recover` of a run recorded with no end (localRunEnded).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Kube } from '../../activities/kube/client.js';
import { idempotencyKey } from '../../activities/replace/env.js';
import { machine, processStart } from '../../activities/replace/group.js';
import { localRunEnded } from '../../activities/replace/local.js';
import { forgetRunCommand } from '../../activities/replace/record.js';
import { launch, type ReplaceRun, runFiles } from '../../activities/replace/runs.js';
import { NOT_STARTED, settle, type Settling } from '../../activities/replace/settle.js';

const here = machine();
const KEY = idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7', 'run-2');
/** The same cluster's earlier upgrade to the same version (rolled back since). */
const EARLIER = idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7', 'run-1');
const ME = 'upgrade-c1-minion-0/run-2/7';

function setup(dir = mkdtempSync(join(tmpdir(), 'k8s-ru-ends-'))) {
  const files = (key: string) => runFiles(dir, here.host, key);
  const s: Settling = {
    key: KEY,
    activity: ME,
    here,
    files,
    kube: {} as Kube, // no run recorded on a node here (seen[0] is undefined), so none is updated
    node: 'minion-0',
    timeoutSeconds: 60,
    watcher: {
      heartbeat: () => undefined,
      signal: new AbortController().signal,
      cancellation: () => undefined,
      label: 'test',
      secrets: [],
    },
  };
  return { dir, s, files };
}

/** Starts `command` under the wrapper as an attempt would; its run as recorded, and its exit. */
function begin(dir: string, key: string, command: string, activity = ME) {
  const files = runFiles(dir, here.host, key);
  const run = files.create({ key, activity, attempt: 1, ...here });
  files.write(run);
  const child = launch(files, run, command, { PATH: process.env.PATH ?? '' });
  const started: ReplaceRun = { ...run, pid: child.pid, pidStart: processStart(child.pid ?? 0) };
  files.write(started);
  return { run: started, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** A run recorded on the node by a worker of this host, whose files are not in this state dir. */
const recordedElsewhere = (fields: Partial<ReplaceRun> = {}): ReplaceRun => ({
  key: KEY,
  run: '1764480000000-abcdef01',
  activity: ME,
  attempt: 1,
  ...here,
  startedAt: '2026-11-30T01:00:00.000Z',
  ...fields,
});

describe("a run's end, its folder missing in this state dir", () => {
  it('is recorded, the folder created (no ENOENT): a run that never wrote a pid never started', async () => {
    const { s, files } = setup();
    const run = recordedElsewhere();
    assert.equal(await settle(s, [undefined, run]), undefined);
    assert.equal(files(KEY).complete(run).exit, NOT_STARTED);
  });

  it("is recorded for a run whose process is gone, saying its files are not in this worker's state dir", async () => {
    const { dir, s, files } = setup();
    // a real process that has ended: its pid, as the node recorded it
    const other = begin(mkdtempSync(join(tmpdir(), 'k8s-ru-other-')), KEY, 'exit 0');
    await other.exited;
    await sleep(100);
    const run = recordedElsewhere({ pid: other.run.pid, pidStart: other.run.pidStart });
    const decided = await settle(s, [undefined, run]);
    assert.match(decided?.exit ?? '', /^unknown: it ended, and its run files are not in this worker's --state-dir/);
    assert.ok(existsSync(join(dir, 'replace')));
    assert.equal(files(KEY).complete(run).exit, decided?.exit);
  });

  it('names the run, the node, the state dir and what to do when the state dir cannot be written', () => {
    const parent = mkdtempSync(join(tmpdir(), 'k8s-ru-ends-'));
    const stateDir = join(parent, 'not-a-folder');
    writeFileSync(stateDir, 'a file where the state dir should be');
    const files = runFiles(stateDir, here.host, KEY);
    const run = recordedElsewhere();
    for (const write of [() => files.recordExit(run, NOT_STARTED), () => files.write(run)]) {
      assert.throws(write, (err: Error) => {
        assert.match(err.message, new RegExp(`replacement run ${run.run} \\(key ${KEY}, node minion-0, host `));
        assert.match(err.message, /(ENOTDIR|EEXIST)/);
        assert.ok(err.message.includes(`--state-dir (${stateDir}) a folder it can write, kept across restarts`));
        assert.match(err.message, /kru retry-replace CLUSTER minion-0/);
        return true;
      });
    }
  });
});

describe("a previous upgrade's run (same workflow id, another upgrade run)", () => {
  it('that ended is not this upgrade\'s outcome: the command runs again (the same key would say "done")', async () => {
    const { dir, s } = setup();
    const { exited } = begin(dir, EARLIER, 'exit 0', 'upgrade-c1-minion-0/run-1/7');
    await exited;
    const earlier = runFiles(dir, here.host, EARLIER).list();
    assert.equal(earlier.length, 1);
    assert.equal(await settle(s, [earlier[0], undefined, ...runFiles(dir, here.host, KEY).list()]), undefined);
  });

  it("still running here is waited for, but does not decide this upgrade's outcome", async () => {
    const { dir, s } = setup();
    // the same activity id and attempt as this one: only the key tells them apart
    const { run } = begin(dir, EARLIER, 'sleep 1; exit 0', ME);
    const t = Date.now();
    assert.equal(await settle(s, [undefined, run]), undefined);
    assert.ok(Date.now() - t >= 800, 'did not wait for it');
  });
});

describe('localRunEnded: what this machine tells recover of a run recorded with no end', () => {
  it('running while its group runs, then its exit status (from the run files, not the node)', async () => {
    const { dir } = setup();
    const { run, exited } = begin(dir, KEY, 'sleep 1; exit 3');
    assert.equal(localRunEnded(dir, run), 'running');
    await exited;
    assert.deepEqual(localRunEnded(dir, run), { exit: '3' });
    // the node's record had no pid (its update failed): the pid file tells
    assert.deepEqual(localRunEnded(dir, { ...run, pid: undefined, pidStart: undefined }), { exit: '3' });
  });

  it('killed with its wrapper: over, of unknown outcome', async () => {
    const { dir } = setup();
    const { run, exited } = begin(dir, KEY, 'sleep 60');
    await sleep(200);
    process.kill(-(run.pid ?? 0), 'SIGKILL');
    await exited;
    // the command's own process is reaped by init a moment later
    for (let i = 0; localRunEnded(dir, run) === 'running' && i < 50; i++) await sleep(100);
    assert.deepEqual(localRunEnded(dir, run), { exit: 'unknown: it ended without recording an exit status' });
  });

  it('unknown for another host, or with no pid and no files here; never started with its files here and no pid', () => {
    const { dir, files } = setup();
    assert.equal(localRunEnded(dir, recordedElsewhere({ host: 'other-host' })), 'unknown');
    assert.equal(localRunEnded(dir, recordedElsewhere()), 'unknown');
    const run = recordedElsewhere();
    files(KEY).write(run);
    assert.deepEqual(localRunEnded(dir, run), { exit: NOT_STARTED });
    // recorded a moment ago: it may be starting
    assert.equal(localRunEnded(dir, recordedElsewhere({ startedAt: new Date().toISOString() })), 'running');
  });

  it('over when the machine restarted since (another boot id), and as recorded when the node has its end', () => {
    const { dir } = setup();
    if (here.boot) {
      assert.deepEqual(localRunEnded(dir, recordedElsewhere({ boot: 'an-earlier-boot', pid: 4242 })), {
        exit: 'unknown: the machine restarted while it ran',
      });
    }
    assert.deepEqual(localRunEnded(dir, recordedElsewhere({ host: 'other-host', exit: '0' })), { exit: '0' });
  });

  it("and the operator's command to clear a record is exact", () => {
    assert.equal(forgetRunCommand('minion-0'), 'kubectl annotate node minion-0 k8s-rolling-upgrade/replace-run-');
  });
});
