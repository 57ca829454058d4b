/**
 * The activities that reach a cluster's entity in Temporal (workflows/cluster/) with the worker's own
 * client: the move checked against the record and lock, the lock taken and let go, the record changed
 * by its holder, and a holder's workflow described (for the entity). The entity is started on the
 * activity's task queue when it does not run yet.
 */
import { Context } from '@temporalio/activity';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type {
  Acquired,
  AcquireRequest,
  HolderRef,
  HolderState,
  PatchRequest,
  ReleaseRequest,
} from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';
import type { UpgradeRequest, ValidatedUpgrade } from '../../model/upgrade.js';
import { findCluster } from '../catalogue/load.js';
import type { ActivityDeps } from '../deps.js';
import { validate } from '../templates.js';
import { declaredRecord } from '../catalogue/declared.js';
import { clusterEntity, holderState } from '../../client/entity.js';

/** The entity's refusal (an update failed or rejected) as this activity's own failure, not retried. */
async function answered<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type, ...(err.cause.details ?? []));
    }
    throw err;
  }
}

export function recordActivities({ catalogue, temporal }: Pick<ActivityDeps, 'catalogue' | 'temporal'>) {
  const client = (): Client => {
    if (!temporal)
      throw ApplicationFailure.nonRetryable('the activities were given no Temporal client (deps.temporal)');
    return temporal;
  };
  /** The entity of the catalogue's cluster `name` (a name or uuid). */
  const entity = (name: string) => {
    const cat = catalogue();
    const cluster = findCluster(cat, name);
    return clusterEntity(client(), Context.current().info.taskQueue, () => declaredRecord(cat, cluster));
  };
  return {
    /** Checks the requested move against the catalogue, the cluster's record and its lock. */
    async validateUpgrade(request: UpgradeRequest): Promise<ValidatedUpgrade> {
      const state = await entity(request.cluster).settled();
      return validate(request, catalogue(), state);
    },

    /** Takes the cluster's lock for the workflow `holder`; refused (ClusterLocked) naming a running holder. */
    async acquireCluster(input: { cluster: string } & AcquireRequest): Promise<Acquired> {
      const { cluster, ...req } = input;
      return await answered(entity(cluster).acquire(req));
    },

    /** The holder's change of the record (what `status` shows). */
    async patchClusterRecord(input: { cluster: string } & PatchRequest): Promise<ClusterRecord> {
      const { cluster, ...req } = input;
      return await answered(entity(cluster).patch(req));
    },

    /** Lets go of the lock, with the record's last change (how the upgrade ended); again is harmless. */
    async releaseCluster(input: { cluster: string } & ReleaseRequest): Promise<ClusterRecord> {
      const { cluster, ...req } = input;
      return await answered(entity(cluster).release(req));
    },

    /** For the entity: whether the lock's holder still runs, or how its workflow ended. */
    async holderState(ref: HolderRef): Promise<HolderState> {
      return await holderState(client(), ref);
    },
  };
}
