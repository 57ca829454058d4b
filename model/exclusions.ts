/**
 * A cluster's `health:` in the catalogue: what no gate counts. `exclude.namespaces` leaves out the
 * workloads and budgets of those namespaces, `exclude.objects` single objects: `node/<name>`, or
 * `<kind>/<namespace>/<name>` for a deployment, statefulset, daemonset or budget (PodDisruptionBudget).
 * An excluded node is still upgraded, and once replaced the gates look at it again as at every
 * upgraded node (Ready at the new version, no pressure): the exclusion covers what it was before the
 * upgrade, not what the upgrade made of it. Each gate says what it left out.
 */
import * as v from 'valibot';

export const EXCLUDABLE_KINDS = ['deployment', 'statefulset', 'daemonset', 'budget'] as const;

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isNamespace = (s: string) => s.length <= 63 && LABEL.test(s);
const isName = (s: string) => s.length <= 253 && SUBDOMAIN.test(s);

const OBJECT_FORMS = `node/<name>, or <kind>/<namespace>/<name> with kind ${EXCLUDABLE_KINDS.join(', ')}`;

/** Why `ref` is not an object `health.exclude.objects` can name, if it is not. */
export function objectRefProblem(ref: string): string | undefined {
  const parts = ref.split('/');
  const [kind = '', ...rest] = parts;
  const bad = (why: string) => `health.exclude.objects: "${ref}" ${why} (write ${OBJECT_FORMS})`;
  if (kind === 'node') {
    if (rest.length !== 1) return bad('names a node as node/<name>, without a namespace');
    return isName(rest[0] ?? '') ? undefined : bad('does not end in a node name');
  }
  if (!(EXCLUDABLE_KINDS as readonly string[]).includes(kind)) {
    return bad(`is not of a kind the gates read ("${kind}")`);
  }
  if (rest.length !== 2) return bad('must name a namespace and a name');
  const [namespace = '', name = ''] = rest;
  if (!isNamespace(namespace)) return bad(`has no valid namespace ("${namespace}")`);
  return isName(name) ? undefined : bad(`has no valid name ("${name}")`);
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A YAML map with only these fields; an unknown one (a typo) is named with the known ones. */
function strictMap<E extends v.ObjectEntries>(field: string, entries: E, shape: string) {
  const known = Object.keys(entries).join(', ');
  return v.pipe(
    v.custom<Record<string, unknown>>(isMap, `"${field}" must be a map like ${shape}`),
    v.strictObject(entries, (issue) =>
      issue.expected === 'never'
        ? `${field}: unknown field ${String(issue.received)} (known: ${known})`
        : `"${field}" must be a map like ${shape}`,
    ),
  );
}

const list = (field: string, what: string) =>
  v.nullish(
    v.array(v.string(`"${field}" must be a list of ${what}`), `"${field}" must be a list of ${what}`),
    () => [],
  );

const namespaces = v.pipe(
  list('health.exclude.namespaces', 'namespace names'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const ns of dataset.value) {
      if (!isNamespace(ns)) {
        addIssue({
          message: `health.exclude.namespaces: "${ns}" is not a namespace name (lowercase letters, digits and -, at most 63)`,
        });
      }
    }
  }),
);

const objects = v.pipe(
  list('health.exclude.objects', `objects (${OBJECT_FORMS})`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const ref of dataset.value) {
      const problem = objectRefProblem(ref);
      if (problem) addIssue({ message: problem });
    }
  }),
);

const EXCLUDE_SHAPE = '{namespaces: [...], objects: ["node/<name>", "deployment/<namespace>/<name>"]}';

/** `health:` of a cluster; absent or empty (YAML null), every object counts. */
export const HealthSchema = v.pipe(
  v.nullish(
    strictMap(
      'health',
      { exclude: v.optional(strictMap('health.exclude', { namespaces, objects }, EXCLUDE_SHAPE)) },
      `{exclude: ${EXCLUDE_SHAPE}}`,
    ),
  ),
  v.transform((health) => health ?? undefined),
);

export type HealthSettings = v.InferOutput<typeof HealthSchema>;
