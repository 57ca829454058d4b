/**
 * The clusters' entities (workflows/cluster/) as the tests see them: the record a test reads through
 * Temporal, as `kru status` does, and a fresh start. Every test file runs its own worker on a task
 * queue of its own, so an entity left by an earlier test (whose queue nobody polls any more) is
 * deleted: the next use starts a new one, from the catalogue's record, on the new worker's queue.
 * `entityDriver` sends an entity its updates directly, with stand-in holders (test/temporal/cluster-entity.test.ts
 * checks the answers; test/replay/entity.ts records the histories).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findCluster, loadCatalogue } from '../../activities/catalogue/load.js';
import { declaredRecord } from '../../activities/catalogue/declared.js';
import { forgetEntity, readState } from '../../client/entity.js';
import { type Acquired, type ClusterState, ENTITY_WORKFLOW, entityId, type HolderRef } from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';

/** The cluster's state as its entity holds it (the catalogue's record when it has none). */
export async function clusterState(client: Client, cluster: string): Promise<ClusterState> {
  const cat = loadCatalogue(process.env.K8S_RU_CATALOGUE);
  return await readState(client, declaredRecord(cat, findCluster(cat, cluster)));
}

export async function recordOf(client: Client, cluster: string): Promise<ClusterRecord> {
  return (await clusterState(client, cluster)).record;
}

/** Deletes the entities of these clusters (all of the catalogue's when none named), and waits until they are gone. */
export async function forgetEntities(client: Client, clusters?: string[]): Promise<void> {
  const names = clusters ?? loadCatalogue(process.env.K8S_RU_CATALOGUE).clusters.map((c) => c.name);
  for (const name of names) await forgetEntity(client, name);
}

/** A record as the catalogue declares one, for a cluster of that name. */
export function plainRecord(cluster: string): ClusterRecord {
  return { cluster, status: 'CREATE_COMPLETE', status_reason: '', template: 't', coe_version: '', updated_at: '' };
}

/** The entity's refusal of an update: its failure (fails when the update was granted). */
export async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
    return err.cause;
  }
  assert.fail('the update should have been refused');
}

/**
 * One cluster's entity driven directly, on the worker polling `taskQueue`: updates sent as the
 * activities send them (update-with-start from `record`, continuing as new at `maxHistoryEvents` when
 * given to the update that starts it), and stand-ins to hold its lock (any running workflow can: an
 * entity of a cluster that does not exist).
 */
export function entityDriver(client: Client, taskQueue: string, record: () => ClusterRecord) {
  const handle = () => client.workflow.getHandle(entityId(record().cluster));
  const send = async <T>(update: string, arg: unknown, maxHistoryEvents?: number): Promise<T> => {
    const start = new WithStartWorkflowOperation(ENTITY_WORKFLOW, {
      workflowId: entityId(record().cluster),
      taskQueue,
      args: [{ cluster: record().cluster, record: record(), maxHistoryEvents }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return (await client.workflow.executeUpdateWithStart(update, { args: [arg], startWorkflowOperation: start })) as T;
  };
  return {
    handle,
    state: () => handle().query<ClusterState>('state'),
    send,
    async standIn(): Promise<HolderRef> {
      const name = `stand-in-${randomUUID().slice(0, 8)}`;
      const h = await client.workflow.start(ENTITY_WORKFLOW, {
        taskQueue,
        workflowId: name,
        args: [{ cluster: name, record: plainRecord(name) }],
      });
      return { workflowId: name, runChain: h.firstExecutionRunId };
    },
    /**
     * `acquire` by `holder` after the one holding the lock ended: asked again while the validator still
     * refuses on sight (the old holder was found running a moment ago), until the entity looks again.
     */
    async takeOver(holder: HolderRef, purpose: 'upgrade' | 'recover'): Promise<Acquired> {
      for (let i = 0; i < 30; i++) {
        const granted = await send<Acquired>('acquire', { holder, purpose }).catch(() => undefined);
        if (granted) return granted;
        await sleep(1000);
      }
      assert.fail(`the lock of ${record().cluster} did not go to ${holder.workflowId} within 30 s`);
    },
  };
}

export type EntityDriver = ReturnType<typeof entityDriver>;
