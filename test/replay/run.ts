/**
 * Running the scenarios of scenarios.ts on a Temporal server with a worker of the current workflow code
 * over mocked activities (one simulated cluster per scenario, named as the scenario): start the upgrade,
 * let the scenario drive it, wait for its result, check that it took its path (outcome, operator
 * messages, runs of the parent, children, the scenario's own check) and collect every history it made.
 * record.ts writes those histories as the replay fixtures; test/temporal/scenarios.test.ts runs the same
 * scenarios and checks, writing nothing.
 */
import assert from 'node:assert/strict';
import { type Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../activities/index.js';
import type { UpgradeStatus } from '../../model/status.js';
import { byCluster, mockWorld, type MockWorld } from '../support/mock-activities.js';
import { collectHistories, operatorMessages, type RecordedRun } from './histories.js';
import type { Scenario } from './scenarios.js';

/** Mock steps take tens of milliseconds: running every scenario takes about as long as its window wait. */
const STEP_MS = 30;
const RESULT_MS = 120_000;
/** Scenarios run at once on a small machine. */
export const CONCURRENCY = 4;

/** A simulated cluster per scenario, keyed by the scenario's name (the upgrade's cluster). */
export function scenarioWorlds(scenarios: Scenario[]): Map<string, MockWorld> {
  return new Map(
    scenarios.map((s) => [s.name, mockWorld(s.masters ?? ['cp-0'], s.workers ?? ['w-0', 'w-1'], STEP_MS, s.faults)]),
  );
}

/** One set of activities for every world: each call goes to the world of the cluster it names. */
export function scenarioActivities(worlds: Map<string, MockWorld>): Partial<Activities> {
  return byCluster(Object.fromEntries([...worlds].map(([name, w]) => [name, w.activities])));
}

/** The slowest (those waiting for a maintenance window, whose options depend on the time) first. */
export function slowestFirst(scenarios: Scenario[]): Scenario[] {
  return [...scenarios].sort(
    (a, b) => Number(typeof b.options === 'function') - Number(typeof a.options === 'function'),
  );
}

export interface Ran {
  final: UpgradeStatus;
  /** every run of the parent, then every child's */
  runs: RecordedRun[];
  seconds: number;
}

/** The upgrade's end: its result, or its last status when it failed (a failed upgrade is an outcome too). */
async function outcome(handle: WorkflowHandle): Promise<UpgradeStatus> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${RESULT_MS / 1000} s`)), RESULT_MS);
  });
  try {
    return await Promise.race([handle.result() as Promise<UpgradeStatus>, late]);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return await handle.query<UpgradeStatus>('status');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one scenario on the worker polling `taskQueue` (its activities from `scenarioActivities`) and
 * checks its path; a scenario that strays is terminated and fails with its last status.
 */
export async function runScenario(client: Client, taskQueue: string, s: Scenario, world: MockWorld): Promise<Ran> {
  const started = Date.now();
  const options = typeof s.options === 'function' ? s.options() : (s.options ?? {});
  const handle = await client.workflow.start('rollingUpgrade', {
    taskQueue,
    workflowId: `upgrade-${s.name}`,
    args: [{ cluster: s.name, template: 'kubernetes-v1.12.7', ...options }],
  });
  const u = { handle, world };
  try {
    await s.drive?.(u);
    const final = await outcome(handle);
    assert.equal(final.phase, s.outcome, `${s.name} ended ${final.phase}: ${final.errors.join('; ')}`);
    const runs = await collectHistories(client, handle.workflowId, handle.firstExecutionRunId);
    const parents = runs.filter((r) => r.workflowType === 'rollingUpgrade');
    const children = runs.filter((r) => r.workflowType === 'nodeUpgrade');
    if (s.runs === undefined) assert.equal(parents.length, 1, `${s.name}: runs of the parent`);
    else assert.ok(parents.length >= s.runs, `${s.name}: ${parents.length} runs of the parent, expected ${s.runs}+`);
    assert.equal(children.length, s.children, `${s.name}: child histories`);
    const events = parents.flatMap((r) => r.history.events ?? []);
    assert.deepEqual(operatorMessages(events), s.sends ?? [], `${s.name}: the operator's messages`);
    s.check?.(u, final, events);
    return { final, runs, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    await handle.terminate(`scenario ${s.name} failed its checks`).catch(() => undefined);
    const status = await handle.query<UpgradeStatus>('status').catch(() => undefined);
    throw new Error(`scenario ${s.name}: ${(err as Error).message}\nlast status: ${JSON.stringify(status)}`, {
      cause: err,
    });
  }
}
