/**
 * What every command is given: the Temporal client (connected on first use, from the connection
 * flags, TEMPORAL_* variables and the profile), the task queue and the catalogue, all from the options
 * the command line was parsed into.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { loadCatalogue } from '../activities/catalogue/load.js';
import { connectionOptions } from '../config/flags.js';
import { temporalSettings } from '../config/temporal.js';
import type { Catalogue } from '../model/catalogue.js';
import { client } from './upgrades.js';

export interface Cli {
  client(): Promise<Client>;
  taskQueue(): string;
  catalogue(): Catalogue;
  /** The catalogue's name for a cluster named by name or uuid (as given when the catalogue lacks it). */
  clusterName(nameOrUuid: string): string;
}

/** Reads `program`'s options when first asked (commands run after the whole line is parsed). */
export function cliContext(program: Command): Cli {
  let connected: Promise<Client> | undefined;
  const opts = () => program.opts<{ taskQueue: string; catalogue: string } & Record<string, unknown>>();
  return {
    client: () => (connected ??= client(temporalSettings(connectionOptions(opts())))),
    taskQueue: () => opts().taskQueue,
    catalogue: () => loadCatalogue(opts().catalogue),
    clusterName(nameOrUuid) {
      const known = loadCatalogue(opts().catalogue).clusters.find(
        (c) => c.name === nameOrUuid || c.uuid === nameOrUuid,
      );
      return known?.name ?? nameOrUuid;
    },
  };
}
