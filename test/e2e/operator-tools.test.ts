/**
 * Operators' own tools, driven for real against the dev server, a real worker and the real local
 * cluster, exactly as the README shows them: `temporal` starts the upgrade with JSON input, `tctl`
 * and `temporal` query `status`, list by search attribute, signal pause/resume/abort; a second start
 * of the same cluster (our CLI, and `temporal` under another id) is refused and leaves the first alone.
 * Our CLI's `plan` runs on the worker: the CLI has no kubeconfig.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { UpgradeStatus } from '../../model/status.js';
import { temporalAddress } from '../support/temporal.js';
import { closeHarness, CLUSTER, freshCluster, harness, type Harness, nodes, resultWithin, TARGET } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const binary = (...script: string[]) =>
  execFileSync('bash', [join(root, 'scripts', ...script.slice(0, 1)), ...script.slice(1)], { encoding: 'utf8' }).trim();
const temporalBin = binary('temporal-server.sh', 'cli');
const tctlBin = binary('tctl.sh');
// Asynchronous: the worker in this process must keep answering queries while a tool runs.
const temporal = async (...args: string[]) =>
  (await run(temporalBin, [...args, '--address', temporalAddress()], { encoding: 'utf8' })).stdout;
const tctl = async (...args: string[]) =>
  (await run(tctlBin, ['--address', temporalAddress(), ...args], { encoding: 'utf8' })).stdout;
/** Our CLI on the harness's task queue; its catalogue's cluster names no kubeconfig that exists. */
const kru = async (...args: string[]) =>
  await run(process.execPath, ['--import', 'tsx', join(root, 'client/main.ts'), ...args, '--task-queue', h.taskQueue], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, K8S_RU_KUBECONFIG: '/nonexistent/kubeconfig', KUBECONFIG: '/nonexistent/kubeconfig' },
  });

/** `tctl workflow query … --qt status` prints the JSON result after a "Query result:" line. */
async function tctlStatus(id: string): Promise<UpgradeStatus> {
  const out = await tctl('workflow', 'query', '--workflow_id', id, '--query_type', 'status');
  const json = out.slice(out.indexOf('['));
  const [status] = JSON.parse(json) as UpgradeStatus[];
  if (!status) throw new Error(`no status in tctl's answer: ${out}`);
  return status;
}

/** Every message down an error's cause chain. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(' <- ');
}

async function poll<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (err) {
      last = err as T;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(500);
  }
}

let h: Harness;
before(async () => {
  h = await harness();
  await freshCluster();
});
after(async () => await closeHarness(h));

describe('operators drive an upgrade with tctl and temporal', () => {
  const id = `upgrade-${CLUSTER}`;
  const running = (query: string) => `${query} AND ExecutionStatus="Running" AND TaskQueue="${h.taskQueue}"`;

  it('plans on the worker: the CLI reads no cluster', async () => {
    const { stdout } = await kru('plan', CLUSTER, TARGET, '--max-unavailable', '2');
    assert.match(
      stdout,
      new RegExp(`${CLUSTER}: kubernetes-v1.11.9-prod-20190402 \\(v1.11.9\\) → ${TARGET} \\(v1.12.7\\)`),
    );
    for (const n of await nodes()) assert.match(stdout, new RegExp(`${n.name}.*upgrade`));
    assert.match(stdout, /nginx-pdb/);
    assert.match(stdout, /estimate: about \d+ min \(\d+ s; workers 2 at a time\)/);
  });

  it('starts, lists, queries, pauses, refuses a second start, resumes and aborts', async () => {
    const input = { cluster: CLUSTER, template: TARGET, soakSeconds: 2, drainTimeoutSeconds: 60 };
    await temporal(
      'workflow',
      'start',
      '--type',
      'rollingUpgrade',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      id,
      '--input',
      JSON.stringify(input),
    );

    // The workflow tags itself: findable by cluster, target version and phase, with either tool.
    await poll(
      'temporal workflow list by UpgradeCluster and UpgradeTargetVersion',
      () =>
        temporal(
          'workflow',
          'list',
          '--query',
          running(`UpgradeCluster="${CLUSTER}" AND UpgradeTargetVersion="v1.12.7" AND UpgradePhase="upgrading"`),
          '--output',
          'json',
        ),
      (out) => out.includes(`"workflowId": "${id}"`),
    );
    const listed = await tctl('workflow', 'list', '--query', running(`UpgradeCluster="${CLUSTER}"`));
    assert.match(listed, new RegExp(id));

    const first = await poll(
      'status through tctl',
      () => tctlStatus(id),
      (s) => s.phase === 'upgrading',
    );
    assert.equal(first.fromVersion, 'v1.11.9');
    assert.equal(first.toVersion, 'v1.12.7');

    await tctl('workflow', 'signal', '--workflow_id', id, '--name', 'pause', '--input', '{"reason":"change freeze"}');
    const paused = await poll(
      'the pause to land',
      () => tctlStatus(id),
      (s) => s.phase === 'paused',
    );
    assert.match(paused.pausedReason ?? '', /paused by the operator: change freeze/);
    const pausedList = await temporal('workflow', 'list', '--query', running('UpgradePhase="paused"'));
    assert.match(pausedList, new RegExp(id));
    const doneWhilePaused = paused.done;

    // A second upgrade of the same cluster: our CLI refuses before starting anything …
    const cli = await kru('start', CLUSTER, TARGET).then(
      () => assert.fail('a second start must be refused'),
      (err: { stderr: string; code: number }) => err,
    );
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, new RegExp(`cluster ${CLUSTER} is UPDATE_PAUSED \\(upgrade ${id}\\)`));
    // … both tools, given the running upgrade's id, hand back that very run instead of starting one …
    const runId = (await h.client.workflow.getHandle(id).describe()).runId;
    const again = await temporal(
      'workflow',
      'start',
      '--type',
      'rollingUpgrade',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      id,
      '--input',
      JSON.stringify(input),
    );
    assert.match(again, new RegExp(`RunId\\s+${runId}`));
    const againTctl = await tctl(
      'workflow',
      'start',
      '--taskqueue',
      h.taskQueue,
      '--workflow_type',
      'rollingUpgrade',
      '--workflow_id',
      id,
      '--input',
      JSON.stringify(input),
    );
    assert.match(againTctl, new RegExp(`run Id: ${runId}`));
    // … and under another id the new workflow refuses in validation, naming the running one.
    const otherId = `${id}-again`;
    await temporal(
      'workflow',
      'start',
      '--type',
      'rollingUpgrade',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      otherId,
      '--input',
      JSON.stringify(input),
    );
    await assert.rejects(h.client.workflow.getHandle(otherId).result(), (err: unknown) =>
      new RegExp(`cluster ${CLUSTER} is UPDATE_PAUSED \\(upgrade ${id}\\)`).test(messages(err)),
    );
    // The first is undisturbed: still paused where it was.
    const still = await tctlStatus(id);
    assert.equal(still.phase, 'paused');
    assert.equal(still.done, doneWhilePaused);

    await temporal('workflow', 'signal', '--workflow-id', id, '--name', 'resume');
    await poll(
      'the resume',
      () => tctlStatus(id),
      (s) => s.phase === 'upgrading' && s.done > doneWhilePaused,
    );

    await tctl('workflow', 'signal', '--workflow_id', id, '--name', 'abort', '--input', '{"reason":"seen enough"}');
    const end = await resultWithin(h.client.workflow.getHandle(id));
    assert.equal(end.phase, 'aborted');
    assert.ok(end.errors.some((e) => /abort requested: seen enough/.test(e)));
    // Nothing is left cordoned, and the closed upgrade is findable by its final phase.
    assert.deepEqual(
      (await nodes()).filter((n) => n.unschedulable).map((n) => n.name),
      [],
    );
    const aborted = await tctl(
      'workflow',
      'list',
      '--query',
      `UpgradeCluster="${CLUSTER}" AND UpgradePhase="aborted" AND TaskQueue="${h.taskQueue}"`,
    );
    assert.match(aborted, new RegExp(id));
  });
});
