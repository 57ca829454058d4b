/**
 * The cluster record store: one JSON file per cluster under a state directory (the worker's
 * `--state-dir`, default <repo>/.run/state). A cluster with no file yet is described by its catalogue
 * entry. Writes go to a temporary file renamed into place, so a crash never leaves half a record.
 * Workers that share clusters must share this directory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../config/root.js';
import type { Catalogue, Cluster } from '../../model/catalogue.js';
import type { ClusterRecord } from '../../model/record.js';
import { findTemplate } from '../catalogue/load.js';

export const DEFAULT_STATE_DIR = join(ROOT, '.run', 'state');

export interface RecordStore {
  /** The record as it stands, or the one the catalogue declares when none was written yet. */
  read(catalogue: Catalogue, cluster: Cluster): ClusterRecord;
  write(record: ClusterRecord): void;
}

export function recordStore(dir: string = DEFAULT_STATE_DIR): RecordStore {
  const folder = join(dir, 'clusters');
  const path = (cluster: string) => join(folder, `${encodeURIComponent(cluster)}.json`);
  return {
    read(catalogue, cluster) {
      try {
        return JSON.parse(readFileSync(path(cluster.name), 'utf8')) as ClusterRecord;
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
    },
    write(record) {
      const file = path(record.cluster);
      mkdirSync(folder, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
      renameSync(tmp, file);
    },
  };
}
