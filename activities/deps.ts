/**
 * What the activities are given at worker start (as in Temporal's saga sample, `createActivities(deps)`):
 * the catalogue, API clients per cluster and a Temporal client (the clusters' records live in Temporal,
 * workflows/cluster/). Nothing here reads the environment; the worker's settings arrive as arguments.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { ROOT } from '../config/root.js';
import type { Catalogue } from '../model/catalogue.js';
import { DEFAULT_CATALOGUE, loadCatalogue } from './catalogue/load.js';
import { type Kube, kubeClients } from './kube/client.js';

/**
 * The worker's own folder for what is per host by nature: the replacement command's run files (its
 * pid, output and exit status, under `replace/<host>/`). No cluster record is kept there.
 */
export const DEFAULT_STATE_DIR = join(ROOT, '.run', 'state');

export interface ActivityDeps {
  /** The catalogue as it stands now. */
  catalogue: () => Catalogue;
  /** API clients for a catalogue cluster. */
  kube: (cluster: string) => Kube;
  /** The worker's Temporal client (on its connection): the clusters' entities are reached with it. */
  temporal?: Client;
  /** This host's run files of the command provider, under `replace/` (default .run/state). */
  stateDir?: string;
}

/**
 * The catalogue file, loaded at once (a broken file stops the worker at start) and again whenever it
 * changes on disk, so clusters can be added without restarting the worker. A change that does not load
 * (a typo, a file caught half-written) is reported and the last good catalogue kept: the upgrades
 * under way must still be able to drain, gate and put their nodes back.
 */
export function catalogueFile(path: string): () => Catalogue {
  const stamp = () => {
    try {
      const s = statSync(path);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  };
  let loaded = { stamp: stamp(), catalogue: loadCatalogue(path) };
  return () => {
    const now = stamp();
    if (now === loaded.stamp) return loaded.catalogue;
    try {
      loaded = { stamp: now, catalogue: loadCatalogue(path) };
    } catch (err) {
      console.warn(`${(err as Error).message}; keeping the catalogue loaded before`);
      loaded = { ...loaded, stamp: now };
    }
    return loaded.catalogue;
  };
}

export interface WorkerSettings {
  /** The catalogue file (default catalogue/catalogue.yaml). */
  catalogue?: string;
  /** This host's run files of replacement commands (default .run/state). */
  stateDir?: string;
}

/** The dependencies of a worker with these settings; `close` ends the API clients' connections. */
export function workerDeps(settings: WorkerSettings = {}): ActivityDeps & { close(): void } {
  const catalogue = catalogueFile(settings.catalogue ?? DEFAULT_CATALOGUE);
  const clients = kubeClients(catalogue);
  return {
    catalogue,
    kube: (cluster) => clients.kube(cluster),
    stateDir: settings.stateDir ?? DEFAULT_STATE_DIR,
    close: () => clients.close(),
  };
}
