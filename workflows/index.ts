/** The workflows the worker bundles. */
export { clusterRecord } from './cluster/index.js';
export { nodeUpgrade } from './node-upgrade/index.js';
export { notifyWebhooks } from './notify/index.js';
export { rollingUpgrade } from './rolling-upgrade/index.js';
export { recoverCluster, upgradeCheck, upgradePlan } from './upgrade-plan/index.js';
