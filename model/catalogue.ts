/**
 * The catalogue: cluster templates and clusters, as `openstack coe` lists them. Its shape is a valibot
 * schema; the types below are what the schema makes of the file. activities/catalogue/load.ts reads
 * the file with it and resolves the kubeconfig paths.
 */
import * as v from 'valibot';

export const CLUSTER_STATUSES = [
  'CREATE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_PAUSED',
  'UPDATE_ABORTED',
] as const;
export type ClusterStatusName = (typeof CLUSTER_STATUSES)[number];

/*
 * Every message names its field; `catalogueProblems` says whose field it is (`template <name>:`).
 * A field an entry must have is judged as `null` when it is missing, so its own message names it.
 */
const needed = <S extends v.GenericSchema>(schema: S) => v.optional(schema, () => null as unknown as v.InferInput<S>);

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A YAML map (not a list) with these entries. */
const map = <E extends v.ObjectEntries>(entries: E, message: string) =>
  v.pipe(v.custom<Record<string, unknown>>(isMap, message), v.object(entries, message));

const text = (field: string) => {
  const message = `"${field}" must be a non-empty string`;
  return v.pipe(v.string(message), v.nonEmpty(message));
};

const seconds = (field: string, fallback: number) => {
  const message = `"${field}" must be a number >= 0`;
  return v.optional(v.pipe(v.number(message), v.finite(message), v.minValue(0, message)), fallback);
};

/** An optional field; an empty one (`context:`, YAML null) counts as absent. */
const maybe = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.nullish(schema),
    v.transform((value) => value ?? undefined),
  );

/** Label values are scalars, kept as text; `kube_tag` carries the Kubernetes version. */
const labels = v.pipe(
  v.custom<Record<string, unknown>>(isMap, '"labels" must be a map'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const [key, value] of Object.entries(dataset.value)) {
      if (typeof value === 'object' && value !== null) addIssue({ message: `label "${key}" must be a scalar` });
    }
  }),
  v.check((l) => 'kube_tag' in l, 'labels have no "kube_tag" (the Kubernetes version)'),
  v.transform((l) => Object.fromEntries(Object.entries(l).map(([key, value]) => [key, String(value)]))),
);

export const TemplateSchema = map(
  { name: needed(text('name')), uuid: needed(text('uuid')), labels: needed(labels) },
  'must be a map with "name", "uuid" and "labels"',
);

const PROVIDERS = ['kwok', 'command'];

/** How a node is replaced by a new one at the target version. */
export const ReplaceSchema = v.variant(
  'provider',
  [
    v.object({ provider: v.literal('kwok'), delaySeconds: seconds('delaySeconds', 2) }),
    v.object({
      provider: v.literal('command'),
      command: needed(text('command')),
      timeoutSeconds: seconds('timeoutSeconds', 1800),
    }),
  ],
  (issue) =>
    // a wrong or missing provider, or no map at all
    issue.expected === 'Object'
      ? '"replace" must be a map with a "provider"'
      : `replace.provider must be one of ${PROVIDERS.join(', ')} (got ${String(issue.input)})`,
);

export const ClusterSchema = map(
  {
    name: needed(text('name')),
    uuid: needed(text('uuid')),
    /** the template the cluster was created from (its current one until an upgrade records another) */
    template: needed(text('template')),
    /** status the cluster was declared with (CREATE_COMPLETE); later states live in its record */
    status: v.nullish(
      v.picklist(
        CLUSTER_STATUSES,
        (issue) => `status must be one of ${CLUSTER_STATUSES.join(', ')} (got ${String(issue.input)})`,
      ),
      'CREATE_COMPLETE',
    ),
    keypair: maybe(v.string('"keypair" must be a string')),
    master_count: maybe(v.number('"master_count" must be a number')),
    node_count: maybe(v.number('"node_count" must be a number')),
    /** the kubeconfig's path, resolved on the worker's machine by load.ts; never sent to Temporal */
    kubeconfig: needed(text('kubeconfig')),
    context: maybe(v.string('"context" must be a string')),
    replace: needed(ReplaceSchema),
  },
  'must be a map with "name", "uuid", "template", "kubeconfig" and "replace"',
);

const names = (entries: { name: string }[], kind: string) => entries.map((e) => `${kind} ${e.name}`);

export const CatalogueSchema = v.pipe(
  map(
    {
      templates: v.optional(v.array(TemplateSchema, '"templates" must be a list'), []),
      clusters: v.optional(v.array(ClusterSchema, '"clusters" must be a list'), []),
    },
    'the catalogue must be a map with "templates" and "clusters"',
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { templates, clusters } = dataset.value;
    const all = [...names(templates, 'template'), ...names(clusters, 'cluster')];
    for (const twice of new Set(all.filter((name, i) => all.indexOf(name) !== i))) {
      addIssue({ message: `${twice} is declared twice` });
    }
    for (const c of clusters) {
      if (!templates.some((t) => t.name === c.template)) {
        addIssue({ message: `cluster ${c.name}: its template ${c.template} is not in the catalogue` });
      }
    }
  }),
);

export type ClusterTemplate = v.InferOutput<typeof TemplateSchema>;
export type ReplaceProvider = v.InferOutput<typeof ReplaceSchema>;
export type Cluster = v.InferOutput<typeof ClusterSchema>;
export type Catalogue = v.InferOutput<typeof CatalogueSchema>;

/** The catalogue's problems, each saying whose it is: `template a: "uuid" must be a non-empty string`. */
export function catalogueProblems(issues: readonly v.BaseIssue<unknown>[]): string[] {
  const said = issues.map((issue) => {
    const [list, entry] = issue.path ?? [];
    if (!list || !entry) return issue.message;
    const kind = list.key === 'templates' ? 'template' : 'cluster';
    if (issue.path?.length === 2) return `${String(list.key)}[${String(entry.key)}] ${issue.message}`;
    const name =
      isMap(entry.value) && typeof entry.value.name === 'string' ? entry.value.name : `#${String(entry.key)}`;
    return `${kind} ${name}: ${issue.message}`;
  });
  return [...new Set(said)];
}
