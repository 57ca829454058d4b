/**
 * The upgrade's story on each Node as Kubernetes Events, so `kubectl describe node` and `kubectl get
 * events` tell it as they tell kured's and Cluster API's: Cordoned, Draining, DrainBlocked, Replacing,
 * Replaced, Uncordoned, Restored, GateFailed, each with the upgrade id and versions in its message.
 *
 * One Event per upgrade, node and reason (a deterministic name): a step that happens again (a drain
 * retried) raises its count and lastTimestamp, as the kubelet's aggregation does. The workflow says which
 * time it tells the step (`occurrence`) and the write sets that count, so a retried activity does not
 * count twice and the Event is never read: the role needs only events create and patch. Events are legacy
 * core/v1 Events in `default` (where Kubernetes keeps the events of cluster-scoped objects), with
 * eventTime set for their order to the millisecond. Writing one is best effort: the caller logs a
 * failure and the upgrade goes on.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { type CoreV1Event, PatchStrategy, setHeaderOptions, V1MicroTime } from '@kubernetes/client-node';
import { apiMessage, type Kube, statusCode } from './client.js';

export const NODE_EVENT_REASONS = [
  'Cordoned',
  'Draining',
  'DrainBlocked',
  'Replacing',
  'Replaced',
  'Uncordoned',
  'Restored',
  'GateFailed',
] as const;
export type NodeEventReason = (typeof NODE_EVENT_REASONS)[number];

/** The reportingController (reportingComponent) and source.component of every Event the worker writes. */
export const EVENT_REPORTER = 'k8s-rolling-upgrade';
/** Where the Events of Nodes (cluster-scoped) live, as the kubelet and the node controller write them. */
export const EVENT_NAMESPACE = 'default';
/** annotations: the upgrade (id and first run) and the last write's activity key */
export const EVENT_UPGRADE = 'k8s-rolling-upgrade/upgrade';
export const EVENT_EMISSION = 'k8s-rolling-upgrade/emission';

const ACTION: Record<NodeEventReason, string> = {
  Cordoned: 'Cordon',
  Draining: 'Drain',
  DrainBlocked: 'Drain',
  Replacing: 'Replace',
  Replaced: 'Replace',
  Uncordoned: 'Uncordon',
  Restored: 'Restore',
  GateFailed: 'Gate',
};
const WARNINGS: NodeEventReason[] = ['DrainBlocked', 'GateFailed'];
/** the longest message the API server keeps for a new-style Event (its note) */
const MESSAGE_LIMIT = 1024;

export interface NodeEventRequest {
  node: string;
  reason: NodeEventReason;
  /** what happened, in words ("drain blocked after 60 s: default/nginx-1 (budget default/nginx-pdb)") */
  detail: string;
  /** a Warning even for a reason that is usually Normal (a node restored after a failure) */
  warning?: boolean;
  upgradeId: string;
  /** the upgrade's first run id: upgrade ids repeat (upgrade-<cluster>), the pair does not */
  upgradeRun?: string;
  fromVersion?: string;
  toVersion?: string;
  /** the how-many-th time the upgrade tells this reason on this node: the Event's count (1 when absent) */
  occurrence?: number;
}

export type NodeEventWritten = { event: string; count: number } | { failed: string };

/** The Event's name: `<node>.<16 hex>` of the upgrade, node and reason (a valid, stable object name). */
export function nodeEventName(req: Pick<NodeEventRequest, 'node' | 'reason' | 'upgradeId' | 'upgradeRun'>): string {
  const key = [req.upgradeId, req.upgradeRun ?? '', req.node, req.reason].join('\n');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${req.node.slice(0, 253 - 17).replace(/[.-]+$/, '')}.${hash}`;
}

/** "<detail> (upgrade <id>: v1.11.9 → v1.12.7)", within the API server's limit. */
export function nodeEventMessage(req: NodeEventRequest): string {
  const versions = req.fromVersion && req.toVersion ? `: ${req.fromVersion} → ${req.toVersion}` : '';
  const toVersion = !req.fromVersion && req.toVersion ? ` to ${req.toVersion}` : '';
  const tail = ` (upgrade ${req.upgradeId}${versions}${toVersion})`;
  const room = MESSAGE_LIMIT - tail.length;
  const detail = req.detail.length > room ? `${req.detail.slice(0, Math.max(0, room - 1))}…` : req.detail;
  return `${detail}${tail}`;
}

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Writes the Event of `req` on its Node, or (its `occurrence` after the first) counts it again: its count
 * set to the occurrence by a merge patch, which a repeated write repeats without counting twice.
 * `emission` (the activity's run and id) is kept in an annotation: which write was the last.
 */
export async function writeNodeEvent(
  kube: Kube,
  req: NodeEventRequest,
  emission: string,
  now: Date = new Date(),
): Promise<{ event: string; count: number }> {
  const name = nodeEventName(req);
  const message = nodeEventMessage(req);
  const count = Math.max(1, Math.floor(req.occurrence ?? 1));
  let uid: string | undefined;
  try {
    uid = (await kube.core.readNode({ name: req.node })).metadata?.uid;
  } catch (err) {
    if (statusCode(err) !== 404) throw err; // a node gone (retired, replaced) still gets its Event
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await kube.core.createNamespacedEvent({
        namespace: EVENT_NAMESPACE,
        body: newEvent(name, req, message, uid, emission, now, count),
      });
      return { event: name, count };
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    try {
      const patch = {
        metadata: { annotations: { [EVENT_EMISSION]: emission } },
        count,
        lastTimestamp: now.toISOString(),
        message,
      };
      await kube.core.patchNamespacedEvent({ name, namespace: EVENT_NAMESPACE, body: patch }, MERGE);
      return { event: name, count };
    } catch (err) {
      if (statusCode(err) !== 404 || attempt >= 3) throw err; // expired in between: create it again
    }
  }
}

function newEvent(
  name: string,
  req: NodeEventRequest,
  message: string,
  uid: string | undefined,
  emission: string,
  now: Date,
  count: number,
): CoreV1Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name,
      namespace: EVENT_NAMESPACE,
      annotations: {
        [EVENT_UPGRADE]: req.upgradeRun ? `${req.upgradeId} ${req.upgradeRun}` : req.upgradeId,
        [EVENT_EMISSION]: emission,
      },
    },
    involvedObject: { apiVersion: 'v1', kind: 'Node', name: req.node, ...(uid ? { uid } : {}) },
    reason: req.reason,
    message,
    type: req.warning || WARNINGS.includes(req.reason) ? 'Warning' : 'Normal',
    action: ACTION[req.reason],
    count,
    firstTimestamp: now,
    lastTimestamp: now,
    eventTime: new V1MicroTime(now.getTime()),
    source: { component: EVENT_REPORTER },
    reportingComponent: EVENT_REPORTER,
    reportingInstance: hostname().slice(0, 128),
  };
}

/** Why an Event could not be written, in words (the role's missing verb named). */
export function nodeEventFailure(err: unknown, req: NodeEventRequest): string {
  const why =
    statusCode(err) === 403
      ? `the worker's role may not write Events in namespace ${EVENT_NAMESPACE} (deploy/rbac.yaml: events create, patch): ${apiMessage(err)}`
      : apiMessage(err);
  return `could not write the ${req.reason} Event of node ${req.node}: ${why}`;
}
