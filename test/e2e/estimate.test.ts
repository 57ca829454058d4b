/**
 * The plan's estimate against the upgrade it estimates, on the real local cluster (3 control-plane +
 * 3 worker nodes, nginx with 2 replicas under a budget, a DaemonSet) with a real worker: the plan is
 * asked as `kru plan` asks it, then the same upgrade runs and is timed. The estimate must be within
 * ±50 % of the actual duration (bench/estimate.ts prints both for the demo and for 50 nodes).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import type { UpgradePlan, UpgradeRequest } from '../../model/upgrade.js';
import {
  closeHarness,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  resultWithin,
  startUpgrade,
  TARGET,
} from './support.js';

const TOLERANCE = 0.5;
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
/** Our CLI, on the harness's task queue. */
const kru = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(root, 'client/main.ts'), ...args, '--task-queue', h.taskQueue], {
    cwd: root,
    encoding: 'utf8',
  });

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

/** The plan's estimate, then the upgrade's duration in seconds from start to result. */
async function estimateAndActual(extra: Partial<UpgradeRequest>): Promise<{ plan: UpgradePlan; actual: number }> {
  const { plan } = await h.client.workflow.execute('upgradePlan', {
    taskQueue: h.taskQueue,
    workflowId: `plan-${h.taskQueue}-${Date.now()}`,
    args: [{ cluster: CLUSTER, template: TARGET, ...extra }],
  });
  const start = Date.now();
  const final = await resultWithin(await startUpgrade(h, extra));
  const actual = (Date.now() - start) / 1000;
  assert.equal(final.phase, 'completed');
  return { plan: plan as UpgradePlan, actual };
}

function assertHonest({ plan, actual }: { plan: UpgradePlan; actual: number }, t: TestContext): void {
  const ratio = plan.estimateSeconds / actual;
  t.diagnostic(`estimate ${plan.estimateSeconds} s, actual ${actual.toFixed(1)} s (ratio ${ratio.toFixed(2)})`);
  assert.ok(
    Math.abs(ratio - 1) <= TOLERANCE,
    `estimate ${plan.estimateSeconds} s, actual ${actual.toFixed(1)} s (ratio ${ratio.toFixed(2)}); ` +
      `assumed: ${(plan.estimateAssumes ?? []).join('; ')}`,
  );
}

describe("the plan's estimate", () => {
  it('is within ±50 % of an upgrade one node at a time with a soak, and kru plan says what it assumes', async (t) => {
    const { stdout } = await kru('plan', CLUSTER, TARGET, '--soak', '1');
    const printed = /estimate: about \d+ min \((\d+) s; workers 1 at a time\)/.exec(stdout);
    assert.ok(printed, stdout);
    assert.match(stdout, /^ {2}assuming 6 node\(s\) in 6 step\(s\): 3 control-plane node\(s\) one at a time/m);
    assert.match(stdout, /^ {2}assuming a replacement takes 1 s \(the kwok provider's delaySeconds\)$/m);
    assert.match(stdout, /^ {2}assuming an evicted pod takes its whole grace period to go/m);
    assert.match(stdout, /^ {2}assuming a soak of 1 s after each step and before the final gate$/m);

    const measured = await estimateAndActual({ soakSeconds: 1 });
    assert.equal(measured.plan.estimateSeconds, Number(printed[1]), 'the CLI prints the plan the worker made');
    assertHonest(measured, t);
  });

  it('is within ±50 % of an upgrade of all workers at once, where the budget lets one nginx pod go at a time', async (t) => {
    const run = await estimateAndActual({ maxUnavailable: 3 });
    assertHonest(run, t);
    assert.match(
      (run.plan.estimateAssumes ?? []).join('\n'),
      /4 step\(s\): 3 control-plane node\(s\) one at a time, 1 batch/,
    );
  });
});
