/**
 * Reads the catalogue file (YAML) once, checks it against its schema (model/catalogue.ts), and answers
 * look-ups with errors that name what is missing and what exists. Kubeconfig paths are resolved
 * relative to the file; ${VAR} and ${VAR:-default} in them are expanded from the environment.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ROOT } from '../../config/root.js';
import { parse } from 'yaml';
import * as v from 'valibot';
import {
  CatalogueSchema,
  catalogueProblems,
  type Catalogue,
  type Cluster,
  type ClusterTemplate,
} from '../../model/catalogue.js';
import { CatalogueError, UnknownClusterError, UnknownTemplateError } from '../../model/errors.js';

/** The catalogue shipped with the project (the seed's templates and cluster), used by default. */
export const DEFAULT_CATALOGUE = join(ROOT, 'catalogue', 'catalogue.yaml');

/** The catalogue the worker and CLI use: $K8S_RU_CATALOGUE, else the shipped one. */
export function cataloguePath(): string {
  return process.env.K8S_RU_CATALOGUE ?? DEFAULT_CATALOGUE;
}

function expand(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new Error(`environment variable ${name} is not set`);
  });
}

/** Parses catalogue text; `base` is the folder relative paths are resolved against. */
export function parseCatalogue(source: string, base: string, env: NodeJS.ProcessEnv = process.env): Catalogue {
  const checked = v.safeParse(CatalogueSchema, parse(source, { merge: true }));
  if (!checked.success) throw new Error(catalogueProblems(checked.issues).join('; '));
  const { templates, clusters } = checked.output;
  return {
    templates,
    clusters: clusters.map((c) => {
      let kubeconfig: string;
      try {
        kubeconfig = expand(c.kubeconfig, env);
      } catch (err) {
        throw new Error(`cluster ${c.name}: ${(err as Error).message}`);
      }
      return { ...c, kubeconfig: isAbsolute(kubeconfig) ? kubeconfig : resolve(base, kubeconfig) };
    }),
  };
}

/** Loads and checks the catalogue file; every problem is a CatalogueError naming the file. */
export function loadCatalogue(path: string = cataloguePath()): Catalogue {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogueError(path, `cannot read it: ${(err as Error).message}`);
  }
  try {
    return parseCatalogue(source, dirname(path));
  } catch (err) {
    throw new CatalogueError(path, (err as Error).message);
  }
}

/** Finds a template by name or uuid. */
export function findTemplate(catalogue: Catalogue, nameOrId: string): ClusterTemplate {
  const found = catalogue.templates.find((t) => t.name === nameOrId || t.uuid === nameOrId);
  if (!found)
    throw new UnknownTemplateError(
      nameOrId,
      catalogue.templates.map((t) => t.name),
    );
  return found;
}

/** Finds a cluster by name or uuid. */
export function findCluster(catalogue: Catalogue, nameOrId: string): Cluster {
  const found = catalogue.clusters.find((c) => c.name === nameOrId || c.uuid === nameOrId);
  if (!found)
    throw new UnknownClusterError(
      nameOrId,
      catalogue.clusters.map((c) => c.name),
    );
  return found;
}
