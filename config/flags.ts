/**
 * Options the worker and the CLI share: the Temporal connection flags (named as the `temporal` CLI
 * names them; envconfig reads their variables and the profile, a flag given wins), the task queue and
 * the catalogue file (commander reads their variables). Parsed once, handed down, never written back.
 */
import { type Command, Option } from 'commander';
import { DEFAULT_CATALOGUE } from '../activities/catalogue/load.js';
import { type ConnectionFlags, DEFAULT_TASK_QUEUE, FLAG_VARIABLES } from './temporal.js';

const CONNECTION: [flag: string, key: keyof ConnectionFlags, what: string][] = [
  ['--address <host:port>', 'address', 'Temporal frontend (default 127.0.0.1:7233)'],
  ['--namespace <name>', 'namespace', 'Temporal namespace (default "default")'],
  ['--api-key <key>', 'apiKey', 'API key (Temporal Cloud); implies TLS'],
  ['--tls', 'tls', 'connect with TLS (implied by the other TLS settings)'],
  ['--tls-ca-path <file>', 'tlsCaPath', 'server CA certificate (PEM)'],
  ['--tls-cert-path <file>', 'tlsCertPath', 'client certificate for mTLS (PEM)'],
  ['--tls-key-path <file>', 'tlsKeyPath', 'client key for mTLS (PEM)'],
  ['--tls-server-name <name>', 'tlsServerName', 'server name to verify'],
  ['--profile <name>', 'profile', 'profile in the Temporal config file (default "default")'],
  ['--config-file <file>', 'configFile', 'Temporal config file (default ~/.config/temporalio/temporal.toml)'],
];

/** Flags of earlier releases, hidden from the help, each with the flag that replaces it. */
const DEPRECATED_FLAGS: [flag: string, key: string, replacement: keyof ConnectionFlags, name: string][] = [
  ['--tls-ca <file>', 'tlsCa', 'tlsCaPath', '--tls-ca-path'],
  ['--tls-cert <file>', 'tlsCert', 'tlsCertPath', '--tls-cert-path'],
  ['--tls-key <file>', 'tlsKey', 'tlsKeyPath', '--tls-key-path'],
];

export function connectionFlags(program: Command): Command {
  for (const [flag, key, what] of CONNECTION) program.option(flag, `${what} (env: ${FLAG_VARIABLES[key]})`);
  for (const [flag] of DEPRECATED_FLAGS) program.addOption(new Option(flag).hideHelp());
  return program;
}

/** The connection flags out of a command's parsed options (deprecated flags translated, with a warning). */
export function connectionOptions(
  opts: Record<string, unknown>,
  warn: (message: string) => void = (m) => console.warn(`warning: ${m}`),
): ConnectionFlags {
  const flags: Record<string, unknown> = {};
  for (const [, key] of CONNECTION) if (opts[key] !== undefined) flags[key] = opts[key];
  for (const [flag, key, replacement, name] of DEPRECATED_FLAGS) {
    if (opts[key] === undefined) continue;
    warn(`${flag.split(' ')[0]} is deprecated and will be removed in the next release: use ${name} instead`);
    flags[replacement] ??= opts[key];
  }
  return flags as ConnectionFlags;
}

export const taskQueueOption = () =>
  new Option('--task-queue <name>', 'task queue of the workers').env('K8S_RU_TASK_QUEUE').default(DEFAULT_TASK_QUEUE);

export const catalogueOption = () =>
  new Option('--catalogue <file>', 'the catalogue of templates and clusters')
    .env('K8S_RU_CATALOGUE')
    .default(DEFAULT_CATALOGUE, 'catalogue/catalogue.yaml');
