/**
 * The cluster record store: one JSON file per cluster under the state directory
 * ($K8S_RU_STATE_DIR, default <repo>/.run/state). A cluster with no file yet is described by its
 * catalogue entry. Writes go to a temporary file renamed into place, so a crash never leaves half a
 * record. Workers that share clusters must share this directory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../config/root.js';
import type { Catalogue, Cluster } from '../../model/catalogue.js';
import type { ClusterRecord } from '../../model/record.js';
import { findTemplate } from '../catalogue/load.js';

export function stateDir(): string {
  return process.env.K8S_RU_STATE_DIR ?? join(ROOT, '.run', 'state');
}

function recordPath(cluster: string): string {
  return join(stateDir(), 'clusters', `${encodeURIComponent(cluster)}.json`);
}

/** The record as it stands, or the one the catalogue declares when none was written yet. */
export function readRecord(catalogue: Catalogue, cluster: Cluster): ClusterRecord {
  try {
    return JSON.parse(readFileSync(recordPath(cluster.name), 'utf8')) as ClusterRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const template = findTemplate(catalogue, cluster.template);
  return {
    cluster: cluster.name,
    status: cluster.status,
    status_reason: 'declared in the catalogue',
    template: template.name,
    coe_version: template.labels.kube_tag ?? '',
    updated_at: new Date(0).toISOString(),
  };
}

export function writeRecord(record: ClusterRecord): void {
  const path = recordPath(record.cluster);
  mkdirSync(join(stateDir(), 'clusters'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, path);
}
