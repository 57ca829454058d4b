/** Every activity the worker registers. Workflows import this module only as a type. */
import { validate } from './templates.js';
import type { UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';

export function createActivities() {
  return {
    /** Checks the requested template move against the catalogue and the cluster's record. */
    async validateUpgrade(request: UpgradeRequest): Promise<ValidatedUpgrade> {
      return validate(request);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
