/**
 * The environment of a replacement command, built explicitly: the worker's variables the cluster's
 * `replace.passEnv` names (never a TEMPORAL_* one: the worker's Temporal credentials), then the
 * cluster's `replace.env`, then the documented variables of the provider contract (COMMAND_VARIABLES).
 * Nothing else of the worker's environment reaches the command.
 */
import type { COMMAND_VARIABLES } from '../../model/catalogue.js';

export type CommandVariables = Record<(typeof COMMAND_VARIABLES)[number], string>;

/** What the worker knows of the node and the run when it starts the command. */
export interface CommandFacts {
  node: string;
  role: string;
  addresses: { type: string; address: string }[];
  providerId: string;
  fromVersion: string;
  targetVersion: string;
  cluster: string;
  kubeconfig: string;
  upgradeId: string;
  /** the upgrade's first run id (stable across continue-as-new), when the workflow gives it */
  upgradeRun?: string;
  key: string;
  attempt: number;
  timeoutSeconds: number;
}

/**
 * `<upgrade id>/<upgrade run>/<node>/<target version>`: the same for every attempt at one node in one
 * upgrade, and different for a later upgrade of the cluster to the same version (every upgrade of a
 * cluster has the same workflow id; the run id of its first execution tells them apart). Without the
 * run (an upgrade started before the workflow gave it): `<upgrade id>/<node>/<target version>`.
 */
export const idempotencyKey = (upgradeId: string, node: string, targetVersion: string, upgradeRun?: string) =>
  upgradeRun ? `${upgradeId}/${upgradeRun}/${node}/${targetVersion}` : `${upgradeId}/${node}/${targetVersion}`;

export function commandVariables(f: CommandFacts): CommandVariables {
  const address = (type: string) => f.addresses.find((a) => a.type === type)?.address ?? '';
  return {
    NODE_NAME: f.node,
    NODE_ROLE: f.role,
    NODE_INTERNAL_IP: address('InternalIP'),
    NODE_EXTERNAL_IP: address('ExternalIP'),
    NODE_HOSTNAME: address('Hostname'),
    NODE_ADDRESSES: f.addresses.map((a) => `${a.type}=${a.address}`).join(','),
    NODE_PROVIDER_ID: f.providerId,
    FROM_VERSION: f.fromVersion,
    TARGET_VERSION: f.targetVersion,
    CLUSTER_NAME: f.cluster,
    KUBECONFIG: f.kubeconfig,
    UPGRADE_ID: f.upgradeId,
    UPGRADE_RUN_ID: f.upgradeRun ?? '',
    IDEMPOTENCY_KEY: f.key,
    ATTEMPT: String(f.attempt),
    REPLACE_TIMEOUT_SECONDS: String(f.timeoutSeconds),
  };
}

const isTemporal = (name: string) => name.toUpperCase().startsWith('TEMPORAL_');

/** Whether `name` is one `passEnv` names: an exact name, or `PREFIX*`. */
export const passes = (passEnv: readonly string[], name: string) =>
  passEnv.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));

/** The command's whole environment. `worker` is the worker's own (process.env, given by the caller). */
export function commandEnv(
  variables: CommandVariables,
  cluster: { env: Record<string, string>; passEnv: readonly string[] },
  worker: NodeJS.ProcessEnv,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(worker)) {
    if (value !== undefined && !isTemporal(name) && passes(cluster.passEnv, name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(cluster.env)) if (!isTemporal(name)) env[name] = value;
  return { ...env, ...variables };
}

/** Names whose values are credentials more likely than not. */
const SECRET_NAME = /TOKEN|SECRET|PASS|KEY|CRED|AUTH|SESSION|COOKIE|PRIVATE/i;
/** Shorter values would blank out ordinary words of the output. */
const MIN_SECRET = 6;

/**
 * The values redaction must hide wherever they appear in the command's output: every value of the
 * cluster's `env` (set for the command, so its own business) and every secret-looking variable of the
 * worker, passed through or not.
 */
export function secretValues(cluster: { env: Record<string, string> }, worker: NodeJS.ProcessEnv): string[] {
  const values = Object.values(cluster.env);
  for (const [name, value] of Object.entries(worker)) if (value && SECRET_NAME.test(name)) values.push(value);
  return [...new Set(values.filter((v) => v.length >= MIN_SECRET))];
}
