/**
 * A schedule created by the CLI is a real Temporal Schedule: `temporal schedule list` shows it, its
 * calendar is the window's opening in the window's zone, and triggering it starts `rollingUpgrade`
 * with the right input.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServer, temporalAddress, uniqueQueue } from '../support/temporal.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const taskQueue = uniqueQueue('schedule');
const env = {
  ...process.env,
  K8S_RU_CATALOGUE: join(root, 'test/fixtures/catalogue.yaml'),
  K8S_RU_STATE_DIR: mkdtempSync(join(tmpdir(), 'k8s-ru-schedule-')),
  K8S_RU_TASK_QUEUE: taskQueue,
};
const cli = (...args: string[]) =>
  execFileSync(process.execPath, [join(root, 'bin/k8s-rolling-upgrade.js'), ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const temporal = () =>
  execFileSync('bash', [join(root, 'scripts/temporal-server.sh'), 'cli'], { encoding: 'utf8' }).trim();
const WINDOW = 'Sat,Sun 02:00-06:00 Pacific/Auckland';

let testEnv: TestWorkflowEnvironment;
before(async () => {
  testEnv = await devServer();
});
after(async () => {
  try {
    cli('schedule', 'delete', 'k8s-upgrade-test');
  } catch {
    // already deleted by the test
  }
  await testEnv.teardown();
});

describe('scheduled upgrades', () => {
  it('creates a schedule the temporal CLI lists, at the window opening in its zone', async () => {
    assert.match(
      cli('schedule', 'create', 'k8s-upgrade-test', 'kubernetes-v1.12.7-prod-20190403', '--window', WINDOW),
      /created schedule upgrade-k8s-upgrade-test-schedule/,
    );
    const listed = execFileSync(temporal(), ['schedule', 'list', '--address', temporalAddress()], { encoding: 'utf8' });
    assert.match(listed, /upgrade-k8s-upgrade-test-schedule/);
    const d = await testEnv.client.schedule.getHandle('upgrade-k8s-upgrade-test-schedule').describe();
    assert.equal(d.spec.timezone, 'Pacific/Auckland');
    const cal = d.spec.calendars?.[0];
    assert.deepEqual(cal?.hour, [{ start: 2, end: 2, step: 1 }]);
    assert.deepEqual(cal?.dayOfWeek, [
      { start: 'SATURDAY', end: 'SATURDAY', step: 1 },
      { start: 'SUNDAY', end: 'SUNDAY', step: 1 },
    ]);
    assert.equal(d.policies.overlap, 'SKIP');
    assert.match(cli('schedule', 'list'), /upgrade-k8s-upgrade-test-schedule.*active/);
    cli('schedule', 'pause', 'k8s-upgrade-test');
    assert.match(cli('schedule', 'list'), /upgrade-k8s-upgrade-test-schedule.*paused/);
    cli('schedule', 'unpause', 'k8s-upgrade-test');
  });

  it('starts rollingUpgrade with the right input when triggered', async () => {
    cli('schedule', 'trigger', 'k8s-upgrade-test');
    const handle = testEnv.client.schedule.getHandle('upgrade-k8s-upgrade-test-schedule');
    let workflowId: string | undefined;
    for (let i = 0; i < 50 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await sleep(200);
    }
    assert.ok(workflowId, 'the schedule started no workflow');
    const wf = testEnv.client.workflow.getHandle(workflowId);
    const started = (await wf.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.workflowType?.name, 'rollingUpgrade');
    assert.equal(started?.taskQueue?.name, taskQueue);
    const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? new Uint8Array()).toString()) as Record<
      string,
      unknown
    >;
    assert.equal(input.cluster, 'k8s-upgrade-test');
    assert.equal(input.template, 'kubernetes-v1.12.7-prod-20190403');
    assert.deepEqual(input.windows, [WINDOW]);
    await wf.terminate('test done');
    cli('schedule', 'delete', 'k8s-upgrade-test');
    await assert.rejects(handle.describe());
  });

  it('refuses an invalid window before creating anything', () => {
    assert.throws(
      () =>
        cli(
          'schedule',
          'create',
          'k8s-upgrade-test',
          'kubernetes-v1.12.7-prod-20190403',
          '--window',
          'Sat 02:00-06:00 Mars/Olympus',
        ),
      /"Mars\/Olympus" is not an IANA time zone/,
    );
  });
});
