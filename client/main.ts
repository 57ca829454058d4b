/** The CLI: `k8s-rolling-upgrade <command>` (or `npm run cli -- <command>`). Commands live in ./commands. */
import { Command } from 'commander';
import { catalogueOption, connectionFlags, taskQueueOption } from '../config/flags.js';
import { catalogueCommands } from './commands/catalogue.js';
import { explain } from './explain.js';
import { recoverCommand } from './commands/recover.js';
import { scheduleCommands } from './commands/schedule.js';
import { upgradeCommands } from './commands/upgrade.js';

const program = connectionFlags(
  new Command('k8s-rolling-upgrade')
    .description('Rolling Kubernetes upgrades of live clusters, as durable Temporal workflows')
    .showHelpAfterError(),
)
  .addOption(taskQueueOption())
  .addOption(catalogueOption());

catalogueCommands(program);
upgradeCommands(program);
scheduleCommands(program);
recoverCommand(program);

try {
  await program.parseAsync();
} catch (err) {
  console.error(`error: ${explain(err)}`);
  process.exitCode = 1;
} finally {
  // Connections to Temporal would keep the process alive.
  setTimeout(() => process.exit(), 50).unref();
}
