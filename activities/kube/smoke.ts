/**
 * The smoke pod: a short pod pinned to a node just uncordoned (nodeName, so no scheduler decides),
 * which must become Ready within the cluster's `smoke.timeoutSeconds`. It is deleted in every outcome
 * (Ready, timeout, cancellation, error). Its name is the same for every attempt of one upgrade on one
 * node, and a smoke pod of the node left by a dead attempt (or an ended upgrade) is deleted first, so
 * a retry starts clean. A pod that never got Ready is not an error: the result says what it showed.
 */
import { createHash } from 'node:crypto';
import type { CoreV1Event, V1Pod, V1Toleration } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../model/errors.js';
import type { SmokeCheck, SmokeSettings } from '../../model/smoke.js';
import { apiMessage, call, classify, type Kube, statusCode } from './client.js';
import { OURS, readNode } from './nodes.js';
import { lookAt, observe, observedText, podEnded, podReady, tolerationsFor } from './smoke-report.js';

export const SMOKE_NODE_LABEL = `${OURS}smoke-node`;
export const SMOKE_UPGRADE_LABEL = `${OURS}smoke-upgrade`;
const NAME = 'smoke-pod';
const POLL_MS = 1000;

export interface SmokeRequest {
  cluster: string;
  node: string;
  /** the upgrade's workflow id: with the node, names the pod */
  upgradeId: string;
}

export interface SmokeHooks {
  heartbeat(details: unknown): void;
  /** throws when the activity is cancelled */
  sleep(ms: number): Promise<void>;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

/** `smoke-<node>-<hash of upgrade and node>`: the same on every attempt, a DNS subdomain of at most 253. */
export function smokePodName(upgradeId: string, node: string): string {
  const stem = `smoke-${node}`.slice(0, 253 - 11).replace(/[.-]+$/, '');
  return `${stem}-${hash(`${upgradeId}\n${node}`)}`;
}

/** A label value (at most 63, alphanumeric at both ends), or a hash of the text when it is not one. */
export function labelValue(text: string): string {
  return /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(text) ? text : `h-${hash(text)}`;
}

/** Tiny, non-root, no service account token, tolerating the node's taints, stopping by itself. */
export function smokePodSpec(
  name: string,
  req: SmokeRequest,
  settings: SmokeSettings,
  tolerations: V1Toleration[],
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: settings.namespace,
      labels: {
        'app.kubernetes.io/name': 'smoke-pod',
        'app.kubernetes.io/managed-by': 'k8s-rolling-upgrade',
        [SMOKE_NODE_LABEL]: labelValue(req.node),
        [SMOKE_UPGRADE_LABEL]: labelValue(req.upgradeId),
      },
      annotations: { [`${OURS}node`]: req.node, [`${OURS}upgrade`]: req.upgradeId },
    },
    spec: {
      nodeName: req.node,
      restartPolicy: 'Never',
      tolerations,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      // a pod this activity could not delete (its worker died, the upgrade moved on) stops by itself
      activeDeadlineSeconds: settings.timeoutSeconds + 600,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65535,
        runAsGroup: 65535,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'smoke',
          image: settings.image,
          imagePullPolicy: 'IfNotPresent',
          resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

/** Runs the smoke pod on `req.node` and says what it showed. */
export async function runSmokePod(
  kube: Kube,
  settings: SmokeSettings,
  req: SmokeRequest,
  hooks: SmokeHooks,
): Promise<SmokeCheck> {
  const { node } = req;
  if (!settings.enabled) {
    return {
      name: NAME,
      ok: true,
      node,
      detail: `not run: smoke.enabled is false for cluster ${req.cluster}`,
      skipped: 'disabled for the cluster',
    };
  }
  const found = await readNode(kube, node);
  if (!found) throw ApplicationFailure.nonRetryable(`node ${node} does not exist any more`, Failure.NodeNotFound);
  const namespace = settings.namespace;
  const name = smokePodName(req.upgradeId, node);
  const ref = `${namespace}/${name}`;
  const base = { name: NAME, node, pod: ref, image: settings.image };
  await removeLeftovers(kube, namespace, node);
  const started = Date.now();
  const deadline = started + settings.timeoutSeconds * 1000;
  const body = smokePodSpec(name, req, settings, tolerationsFor(found.spec?.taints));
  let pod: V1Pod | undefined;
  let uid: string | undefined;
  try {
    pod = await create(kube, body, hooks, deadline);
    uid = pod.metadata?.uid;
    for (;;) {
      if (podReady(pod)) {
        const seconds = Math.round((Date.now() - started) / 1000);
        return { ...base, ok: true, seconds, detail: `Ready after ${seconds} s on ${node} (${settings.image})` };
      }
      hooks.heartbeat({ pod: ref, phase: pod?.status?.phase });
      if (!pod || podEnded(pod) || Date.now() >= deadline) break;
      await hooks.sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      pod = await read(kube, namespace, name);
    }
    // A node deleted meanwhile (an autoscaler, a replaced machine) takes its pod with it, at once or
    // when the pod garbage collector comes: the node is gone, which is not a failed check.
    if (!(await readNode(kube, node))) {
      throw ApplicationFailure.nonRetryable(`node ${node} was deleted while its smoke pod ran`, Failure.NodeNotFound);
    }
    const observed = observe(pod, await events(kube, namespace, pod));
    const why = pod
      ? podEnded(pod)
        ? 'ended without being Ready'
        : `not Ready within ${settings.timeoutSeconds} s`
      : 'disappeared';
    return {
      ...base,
      ok: false,
      seconds: Math.round((Date.now() - started) / 1000),
      observed,
      lookAt: lookAt(observed, node, settings.image),
      detail: `smoke pod ${ref} on ${node} ${why}: ${observedText(observed)}`,
    };
  } finally {
    // only the pod this attempt made: a later attempt (this one's worker lost touch with Temporal and
    // it was given up for dead) runs its own pod under the same name
    await remove(kube, namespace, name, uid);
  }
}

/** Creates the pod; one of the same name still going away (a dead attempt's) is waited for. */
async function create(kube: Kube, body: V1Pod, hooks: SmokeHooks, deadline: number): Promise<V1Pod> {
  const namespace = body.metadata?.namespace ?? '';
  const name = body.metadata?.name ?? '';
  for (;;) {
    try {
      return await kube.core.createNamespacedPod({ namespace, body });
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) {
        throw ApplicationFailure.nonRetryable(
          `cannot create the smoke pod: namespace ${namespace} does not exist (deploy/rbac.yaml creates it): ${apiMessage(err)}`,
          Failure.KubeApiError,
        );
      }
      if (code !== 409 || Date.now() >= deadline) throw classify(err, kube, 'create', `pods ${namespace}/${name}`);
    }
    hooks.heartbeat({ pod: `${namespace}/${name}`, waiting: 'for a pod of the same name to go' });
    await remove(kube, namespace, name);
    await hooks.sleep(500);
  }
}

async function read(kube: Kube, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await kube.core.readNamespacedPod({ namespace, name });
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw classify(err, kube, 'get', `pods ${namespace}/${name}`);
  }
}

/**
 * Deletes the pod at once (grace period 0); one already gone is fine. With `uid`, only that pod: one
 * of the same name made since (409, the precondition fails) is left alone.
 */
async function remove(kube: Kube, namespace: string, name: string, uid?: string): Promise<void> {
  try {
    const body = uid ? { preconditions: { uid } } : undefined;
    await kube.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0, body });
  } catch (err) {
    const code = statusCode(err);
    if (code === 404 || (uid && code === 409)) return;
    throw classify(err, kube, 'delete', `pods ${namespace}/${name}`);
  }
}

/** Smoke pods of this node left by a dead attempt or an ended upgrade (one runs per node at a time). */
async function removeLeftovers(kube: Kube, namespace: string, node: string): Promise<void> {
  const labelSelector = `${SMOKE_NODE_LABEL}=${labelValue(node)}`;
  const list = await call(kube, 'list', `pods in ${namespace}`, () =>
    kube.core.listNamespacedPod({ namespace, labelSelector }),
  );
  for (const p of list.items) await remove(kube, namespace, p.metadata?.name ?? '');
}

/** The pod's Events (a role without events list gets a sentence saying so instead). */
async function events(kube: Kube, namespace: string, pod: V1Pod | undefined): Promise<CoreV1Event[] | string> {
  if (!pod?.metadata?.name) return [];
  const fieldSelector = `involvedObject.kind=Pod,involvedObject.name=${pod.metadata.name}`;
  try {
    const list = await kube.core.listNamespacedEvent({ namespace, fieldSelector });
    return list.items.filter((e) => !pod.metadata?.uid || e.involvedObject.uid === pod.metadata.uid);
  } catch (err) {
    return `events not readable: ${apiMessage(err)}`;
  }
}
