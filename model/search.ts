/**
 * The search attributes operators find upgrades by, in the Temporal UI and CLIs:
 *   temporal workflow list --query 'UpgradeCluster="k8s-upgrade-test" AND UpgradePhase="paused"'
 * All Keyword. They must be registered in the namespace (scripts/temporal-server.sh and
 * docker-compose.temporal.yml do it; the worker refuses to start when one is missing).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const UpgradeCluster = defineSearchAttributeKey('UpgradeCluster', SearchAttributeType.KEYWORD);
export const UpgradeTargetVersion = defineSearchAttributeKey('UpgradeTargetVersion', SearchAttributeType.KEYWORD);
export const UpgradePhase = defineSearchAttributeKey('UpgradePhase', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [UpgradeCluster, UpgradeTargetVersion, UpgradePhase];
