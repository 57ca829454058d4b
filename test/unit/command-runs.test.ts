/**
 * Runs of the replacement command on this machine, with real processes (no servers): the wrapper
 * records pid, output and exit status; a group is ended whole; and what a later attempt makes of the
 * runs an earlier one left (settle): wait, take the outcome, ignore, or refuse in doubt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { Kube } from '../../activities/kube/client.js';
import { endGroup, groupAlive, machine, processStart } from '../../activities/replace/group.js';
import { launch, type ReplaceRun, type RunFiles, runFiles } from '../../activities/replace/runs.js';
import { NOT_STARTED, outcome, settle, type Settling } from '../../activities/replace/settle.js';
import { TAIL_CHARS } from '../../activities/replace/redact.js';
import { Failure } from '../../model/errors.js';

const KEY = 'upgrade-1/minion-0/v1.12.7';
const ME = 'upgrade-1-minion-0/run-a/7';
const here = machine();

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-runs-'));
  const files = (key: string) => runFiles(dir, here.host, key);
  const beats: string[] = [];
  const s: Settling = {
    key: KEY,
    activity: ME,
    here,
    files,
    kube: {} as Kube, // no run is recorded on a node here, so none is updated
    node: 'minion-0',
    timeoutSeconds: 60,
    watcher: {
      heartbeat: (step) => beats.push(step),
      signal: new AbortController().signal,
      cancellation: () => undefined,
      label: 'test',
      secrets: [],
    },
  };
  return { s, files: files(KEY), beats };
}

/** Starts `command` as an attempt of `activity` would, and returns its run as recorded. */
function begin(files: RunFiles, command: string, activity = ME) {
  const run = files.create({ key: KEY, activity, attempt: 1, ...here });
  files.write(run);
  const child = launch(files, run, command, { PATH: process.env.PATH ?? '' });
  const started: ReplaceRun = { ...run, pid: child.pid, pidStart: processStart(child.pid ?? 0) };
  files.write(started);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { run: started, child, exited };
}

const expectFailure = (fn: () => unknown, type: string, nonRetryable = true) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, type);
    assert.equal(err.nonRetryable, nonRetryable);
    return true;
  });

describe('a run under the wrapper', () => {
  it('records its pid, its output and its exit status, itself', async () => {
    const { files } = setup();
    const { run, exited } = begin(files, 'echo to stdout; echo to stderr >&2; exit 3');
    await exited;
    const done = files.complete(run);
    assert.equal(done.exit, '3');
    assert.equal(done.pid, run.pid);
    assert.match(files.output(run), /to stdout\nto stderr/);
  });

  it('is ended as a group: what it started in the background goes too', async () => {
    const { files } = setup();
    const { run, exited } = begin(files, 'sleep 60 & echo "background $!"; sleep 60');
    const group = { pid: run.pid ?? 0, pidStart: run.pidStart };
    await sleep(300);
    const background = Number(/background (\d+)/.exec(files.output(run))?.[1]);
    assert.ok(groupAlive(group) && background > 0);
    assert.ok(await endGroup(group, 2000));
    await exited;
    assert.equal(groupAlive(group), false);
    assert.equal(processStart(background), undefined, 'the background job is still there');
  });

  it('gets SIGKILL when it ignores SIGTERM past the grace', async () => {
    const { files } = setup();
    const { run, exited } = begin(files, "trap '' TERM; sleep 60; sleep 60");
    const group = { pid: run.pid ?? 0, pidStart: run.pidStart };
    await sleep(300);
    const t = Date.now();
    assert.ok(await endGroup(group, 500));
    assert.ok(Date.now() - t >= 500);
    await exited;
  });

  it('is not mistaken for a process that took its pid later (start time differs)', async () => {
    const { files } = setup();
    const { run, child, exited } = begin(files, 'sleep 60');
    await sleep(100);
    assert.equal(groupAlive({ pid: run.pid ?? 0, pidStart: 'an-older-start' }), false);
    child.kill('SIGKILL');
    process.kill(-(run.pid ?? 0), 'SIGKILL');
    await exited;
  });
});

describe('settle: what earlier runs tell a new attempt', () => {
  it('a run of this activity that exited 0 is the outcome: the command is not run again', async () => {
    const { s, files } = setup();
    const { run, exited } = begin(files, 'exit 0');
    await exited;
    const decided = await settle(s, [undefined, undefined, ...files.list()]);
    assert.equal(decided?.run, run.run);
    assert.equal(outcome(s, decided!, []).replaced, true);
  });

  it('a run of this activity that failed fails the attempt, non-retryably, with its last output capped', async () => {
    const { s, files } = setup();
    const { exited } = begin(
      files,
      'i=0; while [ $i -lt 40 ]; do echo "line $i $(printf x%.0s $(seq 30))"; i=$((i+1)); done; exit 4',
    );
    await exited;
    const decided = await settle(s, [undefined, undefined, ...files.list()]);
    expectFailure(() => outcome(s, decided!, []), Failure.ReplaceFailed);
    try {
      outcome(s, decided!, []);
    } catch (err) {
      const message = (err as Error).message;
      const said = message.split('; last output: ')[1] ?? '';
      assert.match(message, /exited with 4/);
      assert.ok(said.length <= TAIL_CHARS, `${said.length} characters`);
      assert.ok(said.split(' | ').length <= 5);
      assert.match(said, /line 39/);
      assert.doesNotMatch(said, /line 30 /);
    }
  });

  it('exit 75 (nothing changed) fails retryably, and the next attempt does not count that run', async () => {
    const { s, files } = setup();
    const { exited } = begin(files, 'exit 75');
    await exited;
    const [run] = files.list();
    expectFailure(() => outcome(s, run!, []), Failure.ReplaceFailed, false);
    assert.equal(await settle(s, [undefined, undefined, ...files.list()]), undefined);
  });

  it("a finished run of another activity (the operator's retryReplace) does not count", async () => {
    const { s, files } = setup();
    const { exited } = begin(files, 'exit 1', 'upgrade-1-minion-0/run-a/3');
    await exited;
    assert.equal(await settle(s, [undefined, undefined, ...files.list()]), undefined);
  });

  it('a run still going on this machine is waited for, whoever started it, and its exit status used', async () => {
    const { s, files, beats } = setup();
    const { run } = begin(files, 'sleep 2; exit 0', 'upgrade-1-minion-0/run-a/3');
    const t = Date.now();
    const decided = await settle(s, [undefined, { ...run }]); // as the last heartbeat told it
    assert.ok(Date.now() - t >= 1500, 'did not wait');
    assert.equal(decided?.exit, '0');
    assert.ok(beats.some((b) => b.startsWith('running the replacement command')));
  });

  it('a run that may still go on another machine is refused as in doubt, naming host, pid and start', async () => {
    const { s } = setup();
    const elsewhere: ReplaceRun = {
      key: KEY,
      run: 'r1',
      activity: ME,
      attempt: 1,
      host: 'other-host',
      pid: 4242,
      startedAt: '2024-05-01T02:00:00.000Z',
    };
    await assert.rejects(settle(s, [elsewhere]), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, Failure.ReplaceInDoubt);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /on host other-host \(pid 4242, at 2024-05-01T02:00:00.000Z/);
      assert.match(err.message, /kubectl annotate node minion-0 k8s-rolling-upgrade\/replace-run-/);
      return true;
    });
  });

  it('a run recorded long ago that never wrote a pid never started: it does not count', async () => {
    const { s, files } = setup();
    const run = { ...files.create({ key: KEY, activity: ME, attempt: 1, ...here }), startedAt: '2020-01-01T00:00:00Z' };
    files.write(run);
    assert.equal(await settle(s, [undefined, run]), undefined);
    assert.equal(files.complete(run).exit, NOT_STARTED);
  });

  it('a run whose process is gone without an exit status is an outcome of unknown result (not run again)', async () => {
    const { s, files } = setup();
    const { run, exited } = begin(files, 'sleep 60');
    await sleep(200);
    process.kill(-(run.pid ?? 0), 'SIGKILL'); // the wrapper too: no exit status written
    await exited;
    const decided = await settle(s, [undefined, undefined, ...files.list()]);
    assert.match(decided?.exit ?? '', /^unknown: /);
    expectFailure(() => outcome(s, decided!, []), Failure.ReplaceFailed);
  });
});
