/**
 * The Temporal connection, shared by the worker and the CLI: read by @temporalio/envconfig exactly as
 * the `temporal` CLI reads it (a TOML profile, then TEMPORAL_* variables over it), with the command
 * line's flags over both. The project's older variable names still work for one release, each with a
 * warning naming its replacement.
 */
import { Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';

/** The task queue the worker polls and the CLI starts workflows on, unless `--task-queue` says otherwise. */
export const DEFAULT_TASK_QUEUE = 'k8s-rolling-upgrade';
const DEFAULT_ADDRESS = '127.0.0.1:7233';

/** Connection settings given on the command line; each wins over its variable and the profile. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCaPath?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsServerName?: string;
  profile?: string;
  configFile?: string;
}

/** Each flag's variable, as envconfig (and the `temporal` CLI) names it. */
export const FLAG_VARIABLES: Record<keyof ConnectionFlags, string> = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  apiKey: 'TEMPORAL_API_KEY',
  tls: 'TEMPORAL_TLS',
  tlsCaPath: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  tlsCertPath: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  tlsKeyPath: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  tlsServerName: 'TEMPORAL_TLS_SERVER_NAME',
  profile: 'TEMPORAL_PROFILE',
  configFile: 'TEMPORAL_CONFIG_FILE',
};

/** This project's own variable names that envconfig does not know, and their replacements. */
export const DEPRECATED_VARIABLES: Record<string, string> = {
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
};

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** What both connection kinds take: address, TLS (false, true or files read), API key, gRPC metadata. */
  connection: NativeConnectionOptions & { address: string };
}

type Env = Record<string, string | undefined>;

/** The variables envconfig sees: the environment, deprecated names translated, the flags on top. */
function variables(flags: ConnectionFlags, env: Env, warn: (message: string) => void): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) vars[name] = value;
  for (const [old, name] of Object.entries(DEPRECATED_VARIABLES)) {
    const value = env[old];
    if (value === undefined) continue;
    warn(`${old} is deprecated and will be removed in the next release: set ${name} instead`);
    vars[name] ??= value;
  }
  for (const [key, name] of Object.entries(FLAG_VARIABLES) as [keyof ConnectionFlags, string][]) {
    const value = flags[key];
    if (value !== undefined) vars[name] = String(value);
  }
  return vars;
}

/**
 * The settings from the flags, the environment (`env`, read here and nowhere else) and the TOML
 * profile (TEMPORAL_PROFILE in TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml).
 */
export function temporalSettings(
  flags: ConnectionFlags = {},
  env: Env = process.env,
  warn: (message: string) => void = (m) => console.warn(`warning: ${m}`),
): TemporalSettings {
  const vars = variables(flags, env, warn);
  const certPath = vars.TEMPORAL_TLS_CLIENT_CERT_PATH ?? vars.TEMPORAL_TLS_CLIENT_CERT_DATA;
  const keyPath = vars.TEMPORAL_TLS_CLIENT_KEY_PATH ?? vars.TEMPORAL_TLS_CLIENT_KEY_DATA;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new Error(
      'a TLS client certificate needs its key and the key its certificate ' +
        '(TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or --tls-cert-path and --tls-key-path)',
    );
  }
  const tlsSwitch = vars.TEMPORAL_TLS?.trim().toLowerCase();
  if (tlsSwitch !== undefined) {
    // envconfig reads anything but "true" and "1" as off, which would send an API key in the clear.
    if (!['true', 'false', '1', '0'].includes(tlsSwitch)) {
      throw new Error(`TEMPORAL_TLS (or --tls) must be true or false, not "${vars.TEMPORAL_TLS}"`);
    }
    vars.TEMPORAL_TLS = tlsSwitch;
  }
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    // Only the first line: a TOML parser quotes the offending line, which may hold a key.
    const first = (err as Error).message.split('\n')[0];
    throw new Error(`cannot load the Temporal connection settings: ${first}`);
  }
  const address = loaded.connectionOptions.address ?? DEFAULT_ADDRESS;
  return {
    address,
    namespace: loaded.namespace ?? 'default',
    connection: { ...loaded.connectionOptions, address },
  };
}

export async function connectClient(s: TemporalSettings): Promise<Connection> {
  try {
    return await Connection.connect(s.connection);
  } catch (err) {
    throw new Error(`cannot connect to Temporal at ${s.address}: ${(err as Error).message}`);
  }
}

export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(s.connection);
  } catch (err) {
    throw new Error(`cannot connect to Temporal at ${s.address}: ${(err as Error).message}`);
  }
}
