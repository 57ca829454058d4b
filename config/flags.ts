/**
 * The standard Temporal connection flags, for the CLI and the worker: each overrides its environment
 * variable (the flags win), so `temporalSettings()` reads one source.
 */
import type { Command } from 'commander';

const FLAGS: [flag: string, env: string, what: string][] = [
  ['--address <host:port>', 'TEMPORAL_ADDRESS', 'Temporal frontend (default 127.0.0.1:7233)'],
  ['--namespace <name>', 'TEMPORAL_NAMESPACE', 'Temporal namespace (default "default")'],
  ['--tls-ca <file>', 'TEMPORAL_TLS_CA', 'server CA certificate (PEM)'],
  ['--tls-cert <file>', 'TEMPORAL_TLS_CERT', 'client certificate for mTLS (PEM)'],
  ['--tls-key <file>', 'TEMPORAL_TLS_KEY', 'client key for mTLS (PEM)'],
  ['--tls-server-name <name>', 'TEMPORAL_TLS_SERVER_NAME', 'server name to verify'],
  ['--api-key <key>', 'TEMPORAL_API_KEY', 'API key (Temporal Cloud); implies TLS'],
];

const key = (flag: string) =>
  (flag.split(' ')[0] ?? '').replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function connectionFlags(program: Command): Command {
  for (const [flag, env, what] of FLAGS) program.option(flag, `${what} [env ${env}]`);
  program.hook('preAction', (cmd) => {
    const opts = cmd.optsWithGlobals() as Record<string, string | undefined>;
    for (const [flag, env] of FLAGS) {
      const value = opts[key(flag)];
      if (value !== undefined) process.env[env] = value;
    }
  });
  return program;
}
