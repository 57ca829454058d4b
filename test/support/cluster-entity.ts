/**
 * The clusters' entities (workflows/cluster/) as the tests see them: the record a test reads through
 * Temporal, as `kru status` does, and a fresh start. Every test file runs its own worker on a task
 * queue of its own, so an entity left by an earlier test (whose queue nobody polls any more) is
 * deleted: the next use starts a new one, from the catalogue's record, on the new worker's queue.
 */
import type { Client } from '@temporalio/client';
import { findCluster, loadCatalogue } from '../../activities/catalogue/load.js';
import { declaredRecord } from '../../activities/catalogue/declared.js';
import { forgetEntity, readState } from '../../client/entity.js';
import type { ClusterState } from '../../model/lock.js';
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
