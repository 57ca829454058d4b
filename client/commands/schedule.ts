/** `schedule create|list|pause|unpause|trigger|delete`: upgrades started by Temporal when a window opens. */
import type { Command } from 'commander';
import type { ScheduleHandle } from '@temporalio/client';
import { findCluster, findTemplate } from '../../activities/catalogue/load.js';
import { checkRequest } from '../../workflows/input.js';
import { cliContext } from '../context.js';
import { table } from '../table.js';
import { createSchedule, scheduleId } from '../schedules.js';
import { requestFrom } from './upgrade.js';

export function scheduleCommands(program: Command): void {
  const cli = cliContext(program);
  const schedule = program.command('schedule').description('upgrades that start when a maintenance window opens');

  schedule
    .command('create')
    .description('start the upgrade of <cluster> to <template> at the opening of each --window')
    .argument('<cluster>')
    .argument('<template>')
    .requiredOption('--window <spec...>', 'maintenance window(s), e.g. "Sat,Sun 02:00-06:00 Pacific/Auckland"')
    .option('--max-unavailable <n>', 'workers upgraded at once', '1')
    .option('--drain-timeout <seconds>', 'time a drain may take before the operator decides')
    .action(
      async (
        cluster: string,
        template: string,
        f: { window: string[]; maxUnavailable?: string; drainTimeout?: string },
      ) => {
        const request = requestFrom(cluster, template, f);
        // The options, the cluster and the template here; the move itself is checked by the upgrade when
        // the window opens (the cluster's state may differ by then).
        checkRequest({ ...request, windows: f.window });
        const catalogue = cli.catalogue();
        findCluster(catalogue, cluster);
        findTemplate(catalogue, template);
        const handle = await createSchedule(await cli.client(), { ...request, windows: f.window }, cli.taskQueue());
        console.log(`created schedule ${handle.scheduleId}: ${f.window.join('; ')}`);
      },
    );

  schedule
    .command('list')
    .description('list the upgrade schedules')
    .action(async () => {
      const c = await cli.client();
      const rows: string[][] = [];
      for await (const s of c.schedule.list()) {
        if (!s.scheduleId.startsWith('upgrade-')) continue;
        const d = await c.schedule.getHandle(s.scheduleId).describe();
        rows.push([
          s.scheduleId,
          d.state.paused ? 'paused' : 'active',
          d.state.note ?? '',
          d.info.nextActionTimes[0]?.toISOString() ?? '',
        ]);
      }
      console.log(table(['schedule', 'state', 'what', 'next start (UTC)'], rows));
    });

  const act = (name: string, what: string, fn: (h: ScheduleHandle) => Promise<void>) =>
    schedule
      .command(name)
      .description(what)
      .argument('<cluster>')
      .action(async (cluster: string) => {
        const c = await cli.client();
        await fn(c.schedule.getHandle(scheduleId(cluster)));
        console.log(`${name}: ${scheduleId(cluster)}`);
      });
  act('pause', 'stop starting upgrades until unpaused', (h) => h.pause('paused from the CLI'));
  act('unpause', 'start upgrades at window openings again', (h) => h.unpause('unpaused from the CLI'));
  act('trigger', 'start the scheduled upgrade now', (h) => h.trigger());
  act('delete', 'delete the schedule', (h) => h.delete());
}
