/**
 * What a replay scenario is (scenarios.ts lists them), and the helpers they drive and check an
 * upgrade with: waiting for a node's step, a blocked drain, windows in the near future, and what a
 * restored or an upgraded node looks like in the simulated world.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpgradeStatus } from '../../model/status.js';
import { type Faults, type MockWorld, OLD_VERSION } from '../support/mock-activities.js';
import { until } from '../support/temporal.js';
import type { HistoryEvent } from './histories.js';

export const TARGET = 'v1.12.7';

export interface Upgrade {
  handle: WorkflowHandle;
  world: MockWorld;
}

export interface Scenario {
  name: string;
  /** the path it exercises (written to the manifest) */
  covers: string;
  masters?: string[];
  workers?: string[];
  faults?: Faults;
  /** the upgrade's options besides cluster and template (a function when they depend on the time) */
  options?: Record<string, unknown> | (() => Record<string, unknown>);
  /** what the operator does while the upgrade runs */
  drive?: (u: Upgrade) => Promise<void>;
  outcome: 'completed' | 'aborted' | 'failed';
  /** the operator's signals and updates the parent receives, in order */
  sends?: string[];
  /** how many `nodeUpgrade` histories the path leaves */
  children: number;
  /** at least this many runs of the parent (continue-as-new); exactly one when unset */
  runs?: number;
  /** what proves the path was taken: the final status, the simulated world, the parent's events (all runs) */
  check?: (u: Upgrade, final: UpgradeStatus, parent: HistoryEvent[]) => void;
}

export const WAIT_MS = 30_000;

/** Waits until the status shows `node` at step `want`. */
export const step = (u: Upgrade, node: string, want: string) =>
  until(u.handle, `${node} at step ${want}`, (s) => s.nodes.some((n) => n.name === node && n.step === want), WAIT_MS);

export const live = (u: Upgrade, node: string) => u.world.world.find((n) => n.name === node);

/** The node is back as it was before the upgrade: old version, schedulable, restored by the workflow. */
export function restored(u: Upgrade, final: UpgradeStatus, node: string, stepName: string) {
  assert.equal(final.nodes.find((n) => n.name === node)?.step, stepName);
  assert.deepEqual(
    { version: live(u, node)?.kubeletVersion, cordoned: live(u, node)?.unschedulable },
    { version: OLD_VERSION, cordoned: false },
  );
  assert.ok(u.world.calls.includes(`restoreNode ${node}`), u.world.calls.join('\n'));
}

/** Every node of the world at the target version and schedulable. */
export function allUpgraded(u: Upgrade) {
  for (const n of u.world.world) assert.deepEqual([n.name, n.kubeletVersion, n.unschedulable], [n.name, TARGET, false]);
}

/** A daily window (UTC, whole minutes) opening at `opens` and lasting `minutes`. */
export function dailyWindow(opens: number, minutes: number): string {
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  return `daily ${hhmm(opens)}-${hhmm(opens + minutes * 60_000)} UTC`;
}
/** The next whole minute at least 10 s away: the window is closed when the upgrade starts. */
export const nextMinute = () => Math.ceil((Date.now() + 10_000) / 60_000) * 60_000;

/** Waits until the drain of w-0 is blocked by its budget (the upgrade paused), then lets the operator decide. */
export const blockedThen = (decide: (u: Upgrade) => Promise<unknown>) => async (u: Upgrade) => {
  const s = await step(u, 'w-0', 'blocked');
  assert.equal(s.phase, 'paused');
  assert.equal(s.nodes.find((n) => n.name === 'w-0')?.blocked?.[0]?.reason, 'budget');
  await decide(u);
};
