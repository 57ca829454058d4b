/** The workflows the worker bundles. */
export { nodeUpgrade } from './node-upgrade.js';
export { rollingUpgrade } from './rolling-upgrade.js';
export { clusterRecords, upgradeCheck, upgradePlan } from './upgrade-plan/index.js';
