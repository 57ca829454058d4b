/** The workflows the worker bundles. */
export { nodeUpgrade } from './node-upgrade/index.js';
export { notifyWebhooks } from './notify/index.js';
export { rollingUpgrade } from './rolling-upgrade/index.js';
export { clusterRecords, recoverCluster, upgradeCheck, upgradePlan } from './upgrade-plan/index.js';
