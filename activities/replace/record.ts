/**
 * The run of the replacement command recorded on the Node itself (annotation
 * `k8s-rolling-upgrade/replace-run`, JSON), where a worker on any machine sees it: written before the
 * command starts (only if the node has not changed since it was read), completed with the pid once
 * started, and with the exit status once over. It stays after the run (a later attempt of the same
 * activity must learn how it ended, not run the command again) until the next run on the node
 * replaces it, or the node is put back after a successful replacement (the upgrade's annotations all
 * go then). A node registered again by the command loses it: the run files and the activity's
 * heartbeats cover that.
 */
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { classify, type Kube, statusCode } from '../kube/client.js';
import { REPLACE_RUN, REPLACEMENT } from '../kube/nodes.js';
import type { ReplaceRun } from './runs.js';

// Read where the node's other annotations are read (putting a node back and `recover` decide by it).
export { recordedRun, REPLACE_RUN } from '../kube/nodes.js';
const PATH = `/metadata/annotations/${REPLACE_RUN.replace('/', '~1')}`;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** The operator's command that removes the node's record of a run (once they know it has ended). */
export const forgetRunCommand = (node: string) => `kubectl annotate node ${node} ${REPLACE_RUN}-`;

/**
 * Records a new run on the node as it was read (its resourceVersion): false when the node changed
 * since (read it again and decide again), or is gone. The node is marked with the replacement's key
 * too (REPLACEMENT): until it is Ready at that version, putting it back or `recover` keeps it cordoned.
 */
export async function recordRun(kube: Kube, node: V1Node, run: ReplaceRun): Promise<boolean> {
  const name = node.metadata?.name ?? '';
  const annotations = { [REPLACE_RUN]: JSON.stringify(run), [REPLACEMENT]: run.key };
  const body = { metadata: { resourceVersion: node.metadata?.resourceVersion, annotations } };
  try {
    await kube.core.patchNode({ name, body }, MERGE);
    return true;
  } catch (err) {
    if (statusCode(err) === 409 || statusCode(err) === 404) return false;
    throw classify(err, kube, 'annotate', `node ${name}`);
  }
}

/**
 * Replaces the recorded run `was` by `now` (same run, more facts), only if the node still records
 * `was` exactly: a node registered again, or a run recorded since, is left alone.
 */
export async function updateRun(kube: Kube, name: string, was: ReplaceRun, now: ReplaceRun): Promise<void> {
  const body = [
    { op: 'test', path: PATH, value: JSON.stringify(was) },
    { op: 'replace', path: PATH, value: JSON.stringify(now) },
  ];
  try {
    await kube.core.patchNode({ name, body }, JSON_PATCH);
  } catch (err) {
    const code = statusCode(err);
    // 404: the node is gone; 409/422: the test failed (another record, or none)
    if (code === 404 || code === 409 || code === 422) return;
    throw classify(err, kube, 'annotate', `node ${name}`);
  }
}
