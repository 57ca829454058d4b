/**
 * Talking to a cluster's entity (workflows/cluster/) from outside Temporal's workers: reading its record and lock (a
 * query), taking and letting go of the lock and changing the record (updates), and describing a
 * holder's workflow. The activities and the CLI both use it, each with its own Temporal client. The
 * entity is started on first use (update-with-start) on the caller's task queue, from the state its
 * last run left (an entity terminated by hand) or else from the record the catalogue declares.
 */
import {
  type Client,
  WithStartWorkflowOperation,
  type WorkflowExecutionDescription,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Workflow } from '@temporalio/common';
import type {
  Acquired,
  AcquireRequest,
  ClusterEntityInput,
  ClusterState,
  HolderRef,
  HolderState,
  PatchRequest,
  ReleaseRequest,
} from '../model/lock.js';
import { ENTITY_WORKFLOW, entityId } from '../model/lock.js';
import type { ClusterRecord } from '../model/record.js';

/** Answers `undefined` when no workflow of that id exists (never started, or deleted). */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * The entity's state: its last run's, or the declared record's when it never ran. A query is answered
 * by a worker on the entity's task queue, its last run's too when it has ended: when none answers, the
 * error names that queue and what to do.
 */
export async function readState(client: Client, declared: ClusterRecord): Promise<ClusterState> {
  const handle = client.workflow.getHandle(entityId(declared.cluster));
  let state: ClusterState | undefined;
  try {
    state = await unlessMissing(handle.query<ClusterState>('state'));
  } catch (err) {
    throw await unanswered(client, declared.cluster, err);
  }
  return state ?? { cluster: declared.cluster, record: declared, history: [] };
}

/** Why the entity's state could not be read, naming its task queue (the describe needs no worker). */
async function unanswered(client: Client, cluster: string, err: unknown): Promise<Error> {
  const id = entityId(cluster);
  const d = await client.workflow
    .getHandle(id)
    .describe()
    .catch(() => undefined);
  if (!d) return err as Error;
  const why = `no worker answered for the state of cluster ${cluster}'s entity (${id}) on its task queue ${d.taskQueue}: ${(err as Error).message}`;
  return new Error(
    d.status.name === 'RUNNING'
      ? `${why}. The entity runs on the task queue of the worker that first needed it: run a worker on ${d.taskQueue}`
      : `${why}. The entity has ended (${d.status.name}) and only a worker on ${d.taskQueue} can read its last state: ` +
          `run one there until the entity runs again (the next upgrade or recover starts it on its worker's queue), ` +
          `or start it afresh from the catalogue's record, its lock and history lost: temporal workflow delete --workflow-id ${id}`,
    { cause: err },
  );
}

const statusOf = (d: WorkflowExecutionDescription): HolderState => ({
  running: d.status.name === 'RUNNING',
  status: d.status.name,
});

/** Whether the holder's run chain still runs, and if not how its workflow ended (GONE: no such run). */
export async function holderState(client: Client, ref: HolderRef): Promise<HolderState> {
  const latest = await unlessMissing(client.workflow.getHandle(ref.workflowId).describe());
  if (!latest) return { running: false, status: 'GONE' };
  const chain = latest.raw.workflowExecutionInfo?.firstRunId ?? '';
  if (chain === ref.runChain || latest.runId === ref.runChain) return statusOf(latest);
  // The latest run is not of the holder's chain (or the server does not say): its first run tells.
  const first = await unlessMissing(client.workflow.getHandle(ref.workflowId, ref.runChain).describe());
  if (!first) return { running: false, status: 'GONE' };
  if (first.status.name !== 'CONTINUED_AS_NEW') return statusOf(first);
  // It continued as new: the latest run is its when the server named no chain, else another chain ended it.
  return chain === '' ? statusOf(latest) : { running: false, status: 'ENDED' };
}

/** One cluster's entity, reached with `client`; started on `taskQueue` when it is not running. */
export function clusterEntity(client: Client, taskQueue: string, declared: () => ClusterRecord) {
  const id = () => entityId(declared().cluster);
  /** An update to the running entity, or to one started from the last state known. */
  async function update<T>(name: string, args: unknown[]): Promise<T> {
    const handle = client.workflow.getHandle(id());
    const done = await unlessMissing(handle.executeUpdate<T, [unknown]>(name, { args: args as [unknown] }));
    if (done !== undefined) return done;
    const { cluster, record, holder, history } = await readState(client, declared());
    const input: ClusterEntityInput = { cluster, record, holder, history };
    const start = new WithStartWorkflowOperation(ENTITY_WORKFLOW, {
      workflowId: id(),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Record and upgrade lock of cluster ${cluster}`,
      staticDetails:
        `The record of cluster **${cluster}** (what \`kru status\` shows) and its one-upgrade-at-a-time lock. ` +
        'Query `state` or `record`; it runs for ever.',
    });
    return await client.workflow.executeUpdateWithStart<Workflow, T, [unknown]>(name, {
      args: args as [unknown],
      startWorkflowOperation: start,
    });
  }
  return {
    state: () => readState(client, declared()),
    /** The state, a holder whose workflow ended cleared first (its record then says how it ended). */
    async settled(): Promise<ClusterState> {
      const s = await readState(client, declared());
      if (!s.holder || (await holderState(client, s.holder)).running) return s;
      await update('settle', []);
      return await readState(client, declared());
    },
    acquire: (req: AcquireRequest) => update<Acquired>('acquire', [req]),
    patch: (req: PatchRequest) => update<ClusterRecord>('patch', [req]),
    release: (req: ReleaseRequest) => update<ClusterRecord>('release', [req]),
  };
}

/**
 * Deletes the cluster's entity, record and history with it, and waits until it is gone: the next use
 * starts it again from the catalogue. For tests and benchmarks that start each case afresh on one
 * Temporal server (an operator resets a record with `recover`, not this).
 */
export async function forgetEntity(client: Client, cluster: string): Promise<void> {
  const workflowId = entityId(cluster);
  try {
    await client.workflowService.deleteWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId },
    });
  } catch (err) {
    if ((err as { code?: number }).code === 5) return; // NOT_FOUND: never started
    throw err;
  }
  for (let i = 0; !(await unlessMissing(client.workflow.getHandle(workflowId).describe()).then((d) => !d)); i++) {
    if (i > 100) throw new Error(`the entity ${workflowId} was not deleted within 10 s`);
    await sleep(100);
  }
}
