/**
 * The CLI's side of Temporal: finding and starting a cluster's upgrade (one running upgrade per
 * cluster: its entity's lock says which), reading the clusters' records from their entities, and
 * asking the workers the read-only questions (check, plan) that need the cluster, through the short
 * workflows of workflows/upgrade-plan/.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { TimeoutFailure } from '@temporalio/common';
import { connectClient, DEFAULT_TASK_QUEUE, type TemporalSettings } from '../config/temporal.js';
import { UpgradeCluster } from '../model/search.js';
import { rootCause } from '../workflows/cause.js';
import type { GateResult } from '../model/kube.js';
import { findCluster } from '../activities/catalogue/load.js';
import { declaredRecord } from '../activities/catalogue/declared.js';
import { clusterEntity } from './entity.js';
import type { Catalogue } from '../model/catalogue.js';
import { type ClusterState, entityId } from '../model/lock.js';
import type { ClusterRecord } from '../model/record.js';
import type { UpgradeStatus } from '../model/status.js';
import type { UpgradePlan, UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';

export const upgradeId = (cluster: string) => `upgrade-${cluster}`;

/** How long the CLI waits for a worker to answer a question. */
const ANSWER_TIMEOUT = '2 minutes';

export async function client(settings: TemporalSettings): Promise<Client> {
  const connection = await connectClient(settings);
  return new Client({ connection, namespace: settings.namespace });
}

/** Runs one of the short workflows of workflows/upgrade-plan/ on the workers and returns its answer. */
export async function ask<T>(
  c: Client,
  taskQueue: string,
  workflowType: string,
  id: string,
  args: unknown[],
): Promise<T> {
  try {
    return (await c.workflow.execute(workflowType, {
      taskQueue,
      workflowId: `${id}-${randomUUID().slice(0, 8)}`,
      args,
      workflowExecutionTimeout: ANSWER_TIMEOUT,
    })) as T;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new Error(
        `no worker answered on task queue ${taskQueue} within ${ANSWER_TIMEOUT}: is one running (\`npm run worker\`) on that queue?`,
      );
    }
    // The activity's or the workflow's own message, under Temporal's wrappers.
    if (err instanceof WorkflowFailedError) throw new Error(rootCause(err));
    throw err;
  }
}

/** The move checked by a worker against the catalogue and the cluster's record; throws the violations. */
export const checkUpgrade = (c: Client, request: UpgradeRequest, taskQueue = DEFAULT_TASK_QUEUE) =>
  ask<ValidatedUpgrade>(c, taskQueue, 'upgradeCheck', `check-${request.cluster}`, [request]);

/** The move checked, and the pre-flight report of the cluster as it is now (touches nothing). */
export const planUpgrade = (c: Client, request: UpgradeRequest, taskQueue = DEFAULT_TASK_QUEUE) =>
  // `health` is absent from an older worker's answer
  ask<{ validated: ValidatedUpgrade; plan: UpgradePlan; health?: GateResult }>(
    c,
    taskQueue,
    'upgradePlan',
    `plan-${request.cluster}`,
    [request],
  );

/**
 * The clusters' records and locks, in the order asked, from their entities in Temporal
 * (workflows/cluster/): a query each, the catalogue's record for a cluster no upgrade touched yet. An entity whose lock's holder
 * has ended (terminated) is asked to settle first, so the record says how it ended.
 */
export async function clusterStates(
  c: Client,
  catalogue: Catalogue,
  clusters: string[],
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<ClusterState[]> {
  const read = async (name: string) => {
    const declared = declaredRecord(catalogue, findCluster(catalogue, name));
    return await clusterEntity(c, taskQueue, () => declared).settled();
  };
  return await Promise.all(
    clusters.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      // a query or update waits for a worker: no worker, no answer
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `no worker answered for cluster ${name}'s record (workflow ${entityId(name)}) within ${RECORD_TIMEOUT_MS / 1000} s: ` +
                  `is one running (\`npm run worker\`) on its task queue?`,
              ),
            ),
          RECORD_TIMEOUT_MS,
        );
      });
      try {
        return await Promise.race([read(name), late]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** The clusters' records (their entities' answers). */
export async function clusterRecords(
  c: Client,
  catalogue: Catalogue,
  clusters: string[],
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<ClusterRecord[]> {
  return (await clusterStates(c, catalogue, clusters, taskQueue)).map((s) => s.record);
}

/** How long the CLI waits for a cluster's record. */
const RECORD_TIMEOUT_MS = 60_000;

/** The workflow holding the cluster's upgrade lock, if an upgrade holds it (what pause/abort/watch act on). */
export async function lockHolder(c: Client, cluster: string): Promise<string | undefined> {
  try {
    const state = await c.workflow.getHandle(entityId(cluster)).query<ClusterState>('state');
    return state.holder?.purpose === 'upgrade' ? state.holder.workflowId : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Checks the move on a worker (nothing starts when it is refused), then starts the upgrade. */
export async function startUpgrade(c: Client, request: UpgradeRequest, taskQueue = DEFAULT_TASK_QUEUE) {
  const v = await checkUpgrade(c, request, taskQueue);
  // By the catalogue's name, whether the operator gave the name or the uuid: one id per cluster.
  const workflowId = upgradeId(v.cluster);
  try {
    return await c.workflow.start('rollingUpgrade', {
      taskQueue,
      workflowId,
      args: [request],
      workflowIdConflictPolicy: 'FAIL',
      // Listable at once (the workflow keeps phase and target version up to date itself).
      typedSearchAttributes: [{ key: UpgradeCluster, value: v.cluster }],
      staticSummary: `Upgrade ${v.cluster} to ${request.template} (${v.fromVersion} → ${v.toVersion})`,
      staticDetails: `Rolling upgrade of cluster **${v.cluster}** to template **${request.template}**: control plane first, then workers.`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `an upgrade of cluster ${v.cluster} is already running (workflow ${workflowId}); ` +
          'watch it with `status`/`watch`, or `abort` it before starting another',
      );
    }
    throw err;
  }
}

/**
 * The id of the cluster's latest upgrade: the one holding its lock (its entity says), else from
 * Temporal's list of upgrades tagged with the cluster (by its catalogue name): the running one, else
 * the last started (a scheduled upgrade's id carries the schedule's timestamp). The list lags a little
 * behind the server: an `upgrade-<cluster>` that runs but is not listed yet wins over an older one listed.
 */
export async function latestUpgradeId(c: Client, cluster: string): Promise<string> {
  const holder = await lockHolder(c, cluster);
  if (holder) return holder;
  const started = upgradeId(cluster);
  const running = await c.workflow
    .getHandle(started)
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    });
  if (running) return started;
  let latest: { id: string; start: number } | undefined;
  const query = `WorkflowType = "rollingUpgrade" AND ${UpgradeCluster.name} = "${cluster.replaceAll('"', '\\"')}"`;
  for await (const w of c.workflow.list({ query, pageSize: 100 })) {
    if (w.status.name === 'RUNNING') return w.workflowId;
    const start = w.startTime.getTime();
    if (!latest || start > latest.start) latest = { id: w.workflowId, start };
  }
  return latest?.id ?? started;
}

/** The upgrade's status, or undefined when the cluster was never upgraded through this namespace. */
export async function queryStatus(c: Client, cluster: string, id?: string): Promise<UpgradeStatus | undefined> {
  try {
    return await c.workflow.getHandle(id ?? (await latestUpgradeId(c, cluster))).query<UpgradeStatus>('status');
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The running upgrade's handle; a clear error when none runs. */
export async function runningUpgrade(c: Client, cluster: string) {
  const handle = c.workflow.getHandle(await latestUpgradeId(c, cluster));
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') {
      throw new Error(
        `no upgrade of cluster ${cluster} is running (the last one, ${d.workflowId}, is ${d.status.name})`,
      );
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Error(`no upgrade of cluster ${cluster} was ever started`);
    throw err;
  }
  return handle;
}
