/** Keeps an upgrade's search attributes (cluster, target version, phase) in step with its status. */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { UpgradeCluster, UpgradePhase, UpgradeTargetVersion } from '../model/search.js';
import type { UpgradeStatus } from '../model/status.js';

/** Returns a function that upserts the attributes whenever one of them changed since the last call. */
export function searchAttributesOf(): (status: UpgradeStatus) => void {
  let written = '';
  return (status) => {
    // Histories recorded before the attributes existed replay without them.
    if (!patched('search-attributes')) return;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: UpgradeCluster, value: status.cluster },
      { key: UpgradePhase, value: status.phase },
    ];
    if (status.toVersion) pairs.push({ key: UpgradeTargetVersion, value: status.toVersion });
    const now = JSON.stringify(pairs.map((p) => p.value));
    if (now === written) return;
    written = now;
    upsertSearchAttributes(pairs);
  };
}
