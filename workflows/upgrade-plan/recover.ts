/**
 * `recoverCluster`: the CLI's `recover`, answered on the worker. After an upgrade ended without
 * putting its nodes back (terminated, its worker lost, a failure), the nodes carrying its record are
 * restored and the cluster's record is left in a state a new upgrade starts from. Recover holds the
 * cluster's lock meanwhile (workflows/cluster/): refused while an upgrade holds it and runs, and no
 * upgrade starts until it is done. The caller sends the record as it read it (the upgrade it names,
 * its status and updated_at): recover refuses when the record says otherwise.
 */
import { ApplicationFailure, CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ClusterStatusName } from '../../model/catalogue.js';
import { Failure } from '../../model/errors.js';
import type { RecoverRequest, Recovery } from '../../model/recovery.js';

// A few API calls per node: a minute covers large clusters; retried a few times (every step converges).
const act = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '90 seconds',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 3 },
});

/** The request as sent (it may come from `temporal workflow start --input`), or every problem with it. */
export function checkRecover(raw: unknown): RecoverRequest {
  const r = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof r.cluster !== 'string' || r.cluster === '') problems.push('"cluster" must be a non-empty string');
  if (!('upgradeId' in r) || (r.upgradeId !== null && (typeof r.upgradeId !== 'string' || r.upgradeId === ''))) {
    problems.push('"upgradeId" must be the id of the upgrade the cluster\'s record names, or null when it names none');
  }
  if (typeof r.status !== 'string' || !/^[A-Z_]+$/.test(r.status)) {
    problems.push('"status" must be the record\'s status as read (UPDATE_FAILED, …)');
  }
  if (typeof r.updatedAt !== 'string' || r.updatedAt === '') {
    problems.push('"updatedAt" must be the record\'s updated_at as read');
  }
  const unknown = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) problems.push(`unknown field(s): ${unknown.join(', ')}`);
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `invalid recover input: ${problems.join('; ')} ` +
        '(expected {"cluster": "...", "upgradeId": "..." | null, "status": "...", "updatedAt": "..."}: the record as `kru status` shows it)',
      Failure.InvalidInput,
    );
  }
  return {
    cluster: r.cluster as string,
    upgradeId: r.upgradeId as string | null,
    status: r.status as ClusterStatusName,
    updatedAt: r.updatedAt as string,
  };
}
const FIELDS = ['cluster', 'upgradeId', 'status', 'updatedAt'];

export async function recoverCluster(input: RecoverRequest): Promise<Recovery> {
  const request = checkRecover(input);
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const holder = { workflowId, runChain: firstExecutionRunId };
  const { record: held } = await act.acquireCluster({ cluster: request.cluster, holder, purpose: 'recover' });
  try {
    return await act.recoverNodes({ ...request, cluster: held.cluster, held, holder });
  } finally {
    await CancellationScope.nonCancellable(() => act.releaseCluster({ cluster: held.cluster, holder }));
  }
}
