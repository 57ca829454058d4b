/**
 * The catalogue: cluster templates and clusters, as `openstack coe` lists them. Its shape is a valibot
 * schema; the types below are what the schema makes of the file. activities/catalogue/load.ts reads
 * the file with it and resolves the kubeconfig paths.
 */
import * as v from 'valibot';
import { HealthSchema } from './exclusions.js';
import { NotifySchema } from './notify.js';
import { SmokeSchema } from './smoke.js';

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

/**
 * The variables the worker sets for every replacement command (the provider contract, README: "The
 * `command` provider"): the catalogue can neither set nor pass them.
 */
export const COMMAND_VARIABLES = [
  'NODE_NAME',
  'NODE_ROLE',
  'NODE_INTERNAL_IP',
  'NODE_EXTERNAL_IP',
  'NODE_HOSTNAME',
  'NODE_ADDRESSES',
  'NODE_PROVIDER_ID',
  'FROM_VERSION',
  'TARGET_VERSION',
  'CLUSTER_NAME',
  'KUBECONFIG',
  'UPGRADE_ID',
  'UPGRADE_RUN_ID',
  'IDEMPOTENCY_KEY',
  'ATTEMPT',
  'REPLACE_TIMEOUT_SECONDS',
] as const;

/**
 * The longest `replace.timeoutSeconds`: the replacement activity's startToClose is
 * nodeReadyTimeoutSeconds + 3600 s (workflows/node-upgrade/activities.ts); the command must time out,
 * be ended as a group and have its end recorded well within it.
 */
export const MAX_REPLACE_TIMEOUT = 3000;

/** The worker's variables a command gets when its cluster names none (`replace.passEnv`). */
export const DEFAULT_PASS_ENV = ['PATH', 'HOME', 'SSH_AUTH_SOCK'];

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TEMPORAL = 'TEMPORAL_';

/** Why `name` (a variable, or with `*` a prefix of variables) may not be given to a command, if it may not. */
function refusedVariable(name: string, field: string): string | undefined {
  const prefix = name.endsWith('*') && field === 'replace.passEnv' ? name.slice(0, -1) : undefined;
  const bare = prefix ?? name;
  if (!(prefix === '' || VARIABLE_NAME.test(bare)))
    return `${field}: "${name}" is not a variable name (letters, digits and _, not starting with a digit${field === 'replace.passEnv' ? '; NAME* for every variable starting with NAME' : ''})`;
  const upper = bare.toUpperCase();
  if (upper.startsWith(TEMPORAL) || (prefix !== undefined && TEMPORAL.startsWith(upper)))
    return `${field}: "${name}" is refused: TEMPORAL_* variables hold the worker's Temporal connection and credentials, and never reach the command`;
  if ((COMMAND_VARIABLES as readonly string[]).includes(name))
    return `${field}: "${name}" is set by the worker for every command (the provider contract); it cannot be ${field === 'replace.env' ? 'set' : 'passed'} here`;
  return undefined;
}

/** Variables the cluster's command gets, as given (values kept as text). */
const commandEnv = v.pipe(
  v.custom<Record<string, unknown>>(isMap, '"replace.env" must be a map of variable names to values'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const [name, value] of Object.entries(dataset.value)) {
      const refused = refusedVariable(name, 'replace.env');
      if (refused) addIssue({ message: refused });
      else if (!['string', 'number', 'boolean'].includes(typeof value))
        addIssue({ message: `replace.env: ${name} must be a string, a number or true/false` });
    }
  }),
  v.transform((env) => Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)]))),
);

/** Names of the worker's variables passed on to the command; `NAME*` passes every one starting with NAME. */
const passEnv = v.pipe(
  v.array(v.string('"replace.passEnv" must list variable names'), '"replace.passEnv" must be a list of variable names'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const name of dataset.value) {
      const refused = refusedVariable(name, 'replace.passEnv');
      if (refused) addIssue({ message: refused });
    }
  }),
);

const commandOnly = (field: string) =>
  v.optional(v.never(`"${field}" is for the command provider only (the kwok provider runs no command)`));

/** How a node is replaced by a new one at the target version. */
export const ReplaceSchema = v.variant(
  'provider',
  [
    v.object({
      provider: v.literal('kwok'),
      delaySeconds: seconds('delaySeconds', 2),
      env: commandOnly('env'),
      passEnv: commandOnly('passEnv'),
    }),
    v.object({
      provider: v.literal('command'),
      command: needed(text('command')),
      timeoutSeconds: v.pipe(
        seconds('timeoutSeconds', 1800),
        v.maxValue(
          MAX_REPLACE_TIMEOUT,
          `"replace.timeoutSeconds" must be at most ${MAX_REPLACE_TIMEOUT} (50 min): the replacement activity ` +
            'has nodeReadyTimeoutSeconds + 3600 s in all to run the command, end its process group when it ' +
            'times out (SIGTERM, SIGKILL 10 s later), record how it ended and wait for the node to be Ready; ' +
            'a longer command would be cut off by Temporal with its end unrecorded',
        ),
      ),
      /** set for the command as given (not secrets: those are passed from the worker's environment) */
      env: v.nullish(commandEnv, () => ({})),
      passEnv: v.nullish(passEnv, () => [...DEFAULT_PASS_ENV]),
    }),
  ],
  (issue) =>
    // a wrong or missing provider, or no map at all
    issue.expected === 'Object'
      ? '"replace" must be a map with a "provider"'
      : `replace.provider must be one of ${PROVIDERS.join(', ')} (got ${String(issue.input)})`,
);

const PROBE_HOSTS =
  '"probeHosts" must be a list of hosts the gates\' probes may reach ("10.0.0.5", "svc.example.com:8080", "[fd00::1]", "*.example.com")';
const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;
const IPV6 = /^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** Hosts the gates' HTTP probes may reach: a host or IP, with `:port` for that port only, `*.domain` for its subdomains. */
const probeHosts = v.pipe(
  v.array(v.string(PROBE_HOSTS), PROBE_HOSTS),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const host of dataset.value) {
      if (!HOST.test(host) && !IPV6.test(host))
        addIssue({
          message: `probeHosts: "${host}" is not a host (a name or IP, optionally :port; *.domain for its subdomains)`,
        });
    }
  }),
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
    /** hosts the gates' probes may reach (`probes` of the workflow input); none when absent */
    probeHosts: maybe(probeHosts),
    /** what no gate counts (model/exclusions.ts): namespaces and objects; none when absent */
    health: HealthSchema,
    /** webhooks told of the upgrade's turns (model/notify.ts); none when absent */
    notify: NotifySchema,
    /** the smoke pod after each node's uncordon (model/smoke.ts): on unless `enabled: false` */
    smoke: v.nullish(SmokeSchema, () => ({})),
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
