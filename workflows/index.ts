/** The workflows the worker bundles. */
export { rollingUpgrade } from './rolling-upgrade.js';
