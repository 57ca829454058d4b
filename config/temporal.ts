/**
 * The standard Temporal connection settings, shared by the worker and the CLI: address, namespace,
 * TLS (server CA, client certificate and key, server name) and API key. Read from the environment
 * variables the `temporal` CLI uses (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA,
 * TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY), overridable by flags.
 */
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

/** The task queue workers poll (K8S_RU_TASK_QUEUE overrides it, e.g. for tests). */
export const TASK_QUEUE = process.env.K8S_RU_TASK_QUEUE ?? 'k8s-rolling-upgrade';

export interface TemporalSettings {
  address: string;
  namespace: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  apiKey?: string;
}

export function temporalSettings(overrides: Partial<TemporalSettings> = {}): TemporalSettings {
  const env = process.env;
  const pick = (key: keyof TemporalSettings, name: string): string | undefined => overrides[key] ?? env[name];
  return {
    address: pick('address', 'TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
    namespace: pick('namespace', 'TEMPORAL_NAMESPACE') ?? 'default',
    tlsCa: pick('tlsCa', 'TEMPORAL_TLS_CA'),
    tlsCert: pick('tlsCert', 'TEMPORAL_TLS_CERT'),
    tlsKey: pick('tlsKey', 'TEMPORAL_TLS_KEY'),
    tlsServerName: pick('tlsServerName', 'TEMPORAL_TLS_SERVER_NAME'),
    apiKey: pick('apiKey', 'TEMPORAL_API_KEY'),
  };
}

function file(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}

/** TLS options when any TLS setting (or an API key, which requires TLS) is given. */
function tls(s: TemporalSettings) {
  if (!s.tlsCa && !s.tlsCert && !s.tlsKey && !s.apiKey) return undefined;
  if (Boolean(s.tlsCert) !== Boolean(s.tlsKey)) {
    throw new Error(
      'a TLS client certificate needs its key and the key its certificate (TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY)',
    );
  }
  return {
    serverNameOverride: s.tlsServerName,
    serverRootCACertificate: s.tlsCa ? file(s.tlsCa, 'server CA certificate') : undefined,
    clientCertPair:
      s.tlsCert && s.tlsKey
        ? { crt: file(s.tlsCert, 'client certificate'), key: file(s.tlsKey, 'client key') }
        : undefined,
  };
}

export async function connectClient(s: TemporalSettings): Promise<Connection> {
  try {
    return await Connection.connect({ address: s.address, tls: tls(s), apiKey: s.apiKey });
  } catch (err) {
    throw new Error(`cannot connect to Temporal at ${s.address}: ${(err as Error).message}`);
  }
}

export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: s.address, tls: tls(s), apiKey: s.apiKey });
  } catch (err) {
    throw new Error(`cannot connect to Temporal at ${s.address}: ${(err as Error).message}`);
  }
}
