/**
 * Scheduled upgrades: a Temporal Schedule that starts `rollingUpgrade` when a maintenance window opens
 * (a calendar in the window's own time zone). Overlap policy SKIP: no second upgrade of the cluster
 * while one is still running. The upgrade itself also carries the windows, so it never starts a node
 * outside them.
 */
import { type Client, ScheduleOverlapPolicy, type DayOfWeek } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../config/temporal.js';
import type { UpgradeRequest } from '../model/upgrade.js';
import { parseWindows } from '../workflows/window.js';

const DAY_NAMES: DayOfWeek[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

export const scheduleId = (cluster: string) => `upgrade-${cluster}-schedule`;

export async function createSchedule(
  c: Client,
  request: UpgradeRequest & { windows: string[] },
  taskQueue = DEFAULT_TASK_QUEUE,
) {
  const windows = parseWindows(request.windows);
  if (windows.length === 0) throw new Error('a scheduled upgrade needs at least one --window');
  const zones = [...new Set(windows.map((w) => w.zone))];
  if (zones.length > 1) throw new Error(`the windows of one schedule must share a time zone (got ${zones.join(', ')})`);
  return await c.schedule.create({
    scheduleId: scheduleId(request.cluster),
    spec: {
      timezone: zones[0],
      calendars: windows.map((w) => ({
        dayOfWeek: w.days.map((d) => DAY_NAMES[d - 1] as DayOfWeek),
        hour: Math.floor(w.start / 60),
        minute: w.start % 60,
        comment: w.spec,
      })),
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'rollingUpgrade',
      workflowId: `upgrade-${request.cluster}`,
      taskQueue,
      args: [request],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { note: `upgrade ${request.cluster} to ${request.template} in ${request.windows.join('; ')}` },
  });
}
