/**
 * Reads the catalogue file (YAML) once, checks its shape, and answers look-ups with errors that name
 * what is missing and what exists. Paths in it are resolved relative to the file; ${VAR} and
 * ${VAR:-default} are expanded from the environment.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ROOT } from '../../config/root.js';
import { parse } from 'yaml';
import {
  CLUSTER_STATUSES,
  type Catalogue,
  type Cluster,
  type ClusterStatusName,
  type ClusterTemplate,
  type ReplaceProvider,
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

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(where: string, raw: Raw, key: string, fallback?: string): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || value === '') throw new Error(`${where}: "${key}" must be a non-empty string`);
  return value;
}

function number(where: string, raw: Raw, key: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${where}: "${key}" must be a number >= 0`);
  }
  return value;
}

function labels(where: string, raw: unknown): Record<string, string> {
  if (!isObject(raw)) throw new Error(`${where}: "labels" must be a map`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'object' && value !== null) throw new Error(`${where}: label "${key}" must be a scalar`);
    out[key] = String(value);
  }
  if (out.kube_tag === undefined) throw new Error(`${where}: labels have no "kube_tag" (the Kubernetes version)`);
  return out;
}

function template(raw: unknown, i: number): ClusterTemplate {
  if (!isObject(raw)) throw new Error(`templates[${i}] must be a map`);
  const where = `template ${String(raw.name ?? `#${i}`)}`;
  return { name: text(where, raw, 'name'), uuid: text(where, raw, 'uuid'), labels: labels(where, raw.labels) };
}

function replace(where: string, raw: unknown): ReplaceProvider {
  if (!isObject(raw)) throw new Error(`${where}: "replace" must be a map with a "provider"`);
  switch (raw.provider) {
    case 'kwok':
      return { provider: 'kwok', delaySeconds: number(where, raw, 'delaySeconds', 2) };
    case 'command':
      return {
        provider: 'command',
        command: text(where, raw, 'command'),
        timeoutSeconds: number(where, raw, 'timeoutSeconds', 1800),
      };
    default:
      throw new Error(`${where}: replace.provider must be one of kwok, command (got ${String(raw.provider)})`);
  }
}

function cluster(raw: unknown, i: number, base: string, env: NodeJS.ProcessEnv): Cluster {
  if (!isObject(raw)) throw new Error(`clusters[${i}] must be a map`);
  const where = `cluster ${String(raw.name ?? `#${i}`)}`;
  const status = text(where, raw, 'status', 'CREATE_COMPLETE');
  if (!(CLUSTER_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`${where}: status must be one of ${CLUSTER_STATUSES.join(', ')} (got ${status})`);
  }
  const kubeconfig = expand(text(where, raw, 'kubeconfig'), env);
  return {
    name: text(where, raw, 'name'),
    uuid: text(where, raw, 'uuid'),
    template: text(where, raw, 'template'),
    status: status as ClusterStatusName,
    keypair: typeof raw.keypair === 'string' ? raw.keypair : undefined,
    master_count: typeof raw.master_count === 'number' ? raw.master_count : undefined,
    node_count: typeof raw.node_count === 'number' ? raw.node_count : undefined,
    kubeconfig: isAbsolute(kubeconfig) ? kubeconfig : resolve(base, kubeconfig),
    context: typeof raw.context === 'string' ? raw.context : undefined,
    replace: replace(where, raw.replace),
  };
}

/** Parses catalogue text; `base` is the folder relative paths are resolved against. */
export function parseCatalogue(source: string, base: string, env: NodeJS.ProcessEnv = process.env): Catalogue {
  const doc: unknown = parse(source, { merge: true });
  if (!isObject(doc)) throw new Error('the catalogue must be a map with "templates" and "clusters"');
  const templates = Array.isArray(doc.templates) ? doc.templates.map(template) : [];
  const clusters = Array.isArray(doc.clusters) ? doc.clusters.map((c, i) => cluster(c, i, base, env)) : [];
  const seen = new Set<string>();
  for (const name of [...templates.map((t) => `template ${t.name}`), ...clusters.map((c) => `cluster ${c.name}`)]) {
    if (seen.has(name)) throw new Error(`${name} is declared twice`);
    seen.add(name);
  }
  for (const c of clusters) {
    if (!templates.some((t) => t.name === c.template)) {
      throw new Error(`cluster ${c.name}: its template ${c.template} is not in the catalogue`);
    }
  }
  return { templates, clusters };
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
