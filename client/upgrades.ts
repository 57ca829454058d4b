/** Finding and starting a cluster's upgrade on Temporal. One running upgrade per cluster: its id says which. */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { connectClient, TASK_QUEUE, type TemporalSettings, temporalSettings } from '../config/temporal.js';
import { findCluster, loadCatalogue } from '../activities/catalogue/load.js';
import { readRecord } from '../activities/record/store.js';
import { validate } from '../activities/templates.js';
import { UpgradeCluster } from '../model/search.js';
import type { UpgradeStatus } from '../model/status.js';
import type { UpgradeRequest } from '../model/upgrade.js';

export const upgradeId = (cluster: string) => `upgrade-${cluster}`;

/**
 * The id of the cluster's latest upgrade: the one its record names (a scheduled upgrade's id carries
 * the schedule's timestamp), else `upgrade-<cluster>`.
 */
export function latestUpgradeId(cluster: string): string {
  try {
    const catalogue = loadCatalogue();
    return readRecord(catalogue, findCluster(catalogue, cluster)).workflow_id ?? upgradeId(cluster);
  } catch {
    return upgradeId(cluster);
  }
}

/** "v1.11.9 → v1.12.7" from the catalogue, for the UI's summary; undefined when the move is not valid. */
function fromTo(request: UpgradeRequest): string | undefined {
  try {
    const v = validate(request);
    return `${v.fromVersion} → ${v.toVersion}`;
  } catch {
    return undefined;
  }
}

export async function client(overrides: Partial<TemporalSettings> = {}): Promise<Client> {
  const settings = temporalSettings(overrides);
  const connection = await connectClient(settings);
  return new Client({ connection, namespace: settings.namespace });
}

export async function startUpgrade(c: Client, request: UpgradeRequest, taskQueue = TASK_QUEUE) {
  const workflowId = upgradeId(request.cluster);
  const versions = fromTo(request);
  try {
    return await c.workflow.start('rollingUpgrade', {
      taskQueue,
      workflowId,
      args: [request],
      workflowIdConflictPolicy: 'FAIL',
      // Listable at once (the workflow keeps phase and target version up to date itself).
      typedSearchAttributes: [{ key: UpgradeCluster, value: request.cluster }],
      staticSummary: `Upgrade ${request.cluster} to ${request.template}${versions ? ` (${versions})` : ''}`,
      staticDetails: `Rolling upgrade of cluster **${request.cluster}** to template **${request.template}**: control plane first, then workers.`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `an upgrade of cluster ${request.cluster} is already running (workflow ${workflowId}); ` +
          'watch it with `status`/`watch`, or `abort` it before starting another',
      );
    }
    throw err;
  }
}

/** The upgrade's status, or undefined when the cluster was never upgraded through this namespace. */
export async function queryStatus(c: Client, cluster: string): Promise<UpgradeStatus | undefined> {
  try {
    return await c.workflow.getHandle(latestUpgradeId(cluster)).query<UpgradeStatus>('status');
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The running upgrade's handle; a clear error when none runs. */
export async function runningUpgrade(c: Client, cluster: string) {
  const handle = c.workflow.getHandle(latestUpgradeId(cluster));
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
