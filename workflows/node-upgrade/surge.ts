/** maxSurge: a new node at the target version, registered and Ready before the old one is drained. */
import type { NodeSnapshot } from '../../model/kube.js';
import { surgeSnapshot } from '../../model/surge.js';
import { long } from './activities.js';
import { putBackNode } from './put-back.js';
import type { Reporter } from './report.js';
import type { NodeUpgradeInput } from './types.js';

/** Registers the new node (told to `registered`) and waits until it is Ready and schedulable. */
export async function surge(
  { cluster, toVersion, upgradeId, options }: NodeUpgradeInput,
  old: NodeSnapshot,
  reporter: Reporter,
  registered: (name: string) => void,
): Promise<void> {
  const activities = long(options.nodeReadyTimeoutSeconds);
  await reporter.report({ step: 'surge', detail: `registering a new node at ${toVersion}` });
  const fresh = surgeSnapshot(old, toVersion);
  await activities.surgeNode({ cluster, snapshot: old, targetVersion: toVersion, upgradeId });
  registered(fresh.name);
  await reporter.report({ step: 'surge', detail: `waiting for the new node ${fresh.name} to be Ready` });
  await activities.waitNodeReady({
    cluster,
    node: fresh.name,
    targetVersion: toVersion,
    timeoutSeconds: options.nodeReadyTimeoutSeconds,
  });
  await putBackNode(cluster, fresh); // uncordoned: schedulable like the node it replaces
}
