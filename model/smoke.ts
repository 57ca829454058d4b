/**
 * The smoke pod: after a node is uncordoned, a short pod pinned to it must become Ready, which shows
 * that the node can run a pod (its kubelet, container runtime and pod network work), not only that it
 * reports Ready. Its per-cluster settings (the catalogue's `smoke:`) and what a check says. Plain JSON.
 */
import * as v from 'valibot';
import type { GateCheck } from './kube.js';

export const SMOKE_DEFAULTS = {
  enabled: true,
  /** tiny, runs as a non-root user, holds no state: a pod that only has to start */
  image: 'registry.k8s.io/pause:3.10',
  timeoutSeconds: 60,
  /** deploy/rbac.yaml lets the worker create pods here and nowhere else */
  namespace: 'k8s-rolling-upgrade',
} as const;

/** The longest wait for the pod (the smoke activity's startToClose in workflows/node-upgrade/smoke.ts covers it). */
export const MAX_SMOKE_TIMEOUT = 900;

const FIELDS = Object.keys(SMOKE_DEFAULTS);
/** registry/repository[:tag][@digest]: no spaces, no option-like leading dash */
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,511}$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const timeoutMessage = `"smoke.timeoutSeconds" must be a whole number of seconds from 1 to ${MAX_SMOKE_TIMEOUT}`;
const imageMessage = '"smoke.image" must be an image reference such as registry.k8s.io/pause:3.10';
const namespaceMessage =
  '"smoke.namespace" must be a namespace name (lowercase letters, digits and -, at most 63); deploy/rbac.yaml grants k8s-rolling-upgrade';

const MAP_MESSAGE =
  '"smoke" must be a map such as { image: registry.k8s.io/pause:3.10, timeoutSeconds: 60, enabled: true }';

/** `smoke:` of a cluster; every field optional, an unknown one refused (a typo must not turn a check off). */
export const SmokeSchema = v.pipe(
  v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), MAP_MESSAGE),
  v.strictObject(
    {
      enabled: v.optional(v.boolean('"smoke.enabled" must be true or false'), SMOKE_DEFAULTS.enabled),
      image: v.optional(v.pipe(v.string(imageMessage), v.regex(IMAGE, imageMessage)), SMOKE_DEFAULTS.image),
      timeoutSeconds: v.optional(
        v.pipe(
          v.number(timeoutMessage),
          v.integer(timeoutMessage),
          v.minValue(1, timeoutMessage),
          v.maxValue(MAX_SMOKE_TIMEOUT, timeoutMessage),
        ),
        SMOKE_DEFAULTS.timeoutSeconds,
      ),
      namespace: v.optional(
        v.pipe(v.string(namespaceMessage), v.regex(DNS_LABEL, namespaceMessage)),
        SMOKE_DEFAULTS.namespace,
      ),
    },
    (issue) =>
      issue.expected === 'never' ? `smoke: unknown field ${issue.received} (known: ${FIELDS.join(', ')})` : MAP_MESSAGE,
  ),
);

export type SmokeSettings = v.InferOutput<typeof SmokeSchema>;

/** What the pod showed when it was last read (or at the deadline). */
export interface SmokeObserved {
  phase?: string;
  /** "Ready=False (ContainersNotReady)", … */
  conditions: string[];
  /** "pause: waiting (ImagePullBackOff: …)", … */
  containers: string[];
  /** the pod's Events, newest last: "Warning FailedCreatePodSandBox: …" */
  events: string[];
}

/**
 * One smoke check, shaped as a gate check (`name` smoke-pod, `ok`, `detail`) so the status lists it
 * with the gate's: what was observed and, when it failed, what to look at.
 */
export interface SmokeCheck extends GateCheck {
  node: string;
  /** namespace/name of the pod (deleted again whatever the outcome) */
  pod?: string;
  image?: string;
  /** how long the pod took to become Ready, or how long it was waited for */
  seconds?: number;
  observed?: SmokeObserved;
  /** for a failed check: where an operator should look */
  lookAt?: string;
  /** the check did not run: disabled for the cluster (`smoke.enabled: false`), or the node stays cordoned */
  skipped?: string;
}

/**
 * Where to look when the smoke pod could not be run at all (`error`: the activity's failure, which
 * names the namespace): the Role or namespace deploy/rbac.yaml makes, an admission that refused the
 * pod (Pod Security, a webhook or policy, a ResourceQuota or LimitRange), or the API server.
 */
export function unrunLookAt(error: string): string {
  const where = `the smoke namespace (smoke.namespace, ${SMOKE_DEFAULTS.namespace} by default)`;
  const role = `deploy/rbac.yaml's Role in ${where} (pods create, get, list, delete; events list) and its RoleBinding to the worker's account`;
  // the authorizer's refusal: `User "system:serviceaccount:…" cannot create resource "pods"`
  if (/cannot \w+ resource/.test(error)) return role;
  if (/forbidden|denied the request|violates/i.test(error)) {
    return (
      `the admission of ${where}: its pod-security.kubernetes.io labels (the pod meets "restricted"), any ` +
      'admission webhook or policy (Kyverno, Gatekeeper), its ResourceQuota and LimitRange (the pod asks 1m CPU, ' +
      `8Mi; limits 100m, 32Mi); or, if the error says the worker may not act, ${role}`
    );
  }
  if (/does not exist/.test(error)) return `${where}: deploy/rbac.yaml creates it`;
  return `the error: whether the worker reaches the API server, and deploy/rbac.yaml's Role in ${where}`;
}
