/**
 * Checks the workflow input (it may come from `temporal workflow start --input`) against the options
 * schema (model/options.ts) and fills in the defaults.
 */
import { ApplicationFailure } from '@temporalio/common';
import * as v from 'valibot';
import {
  problems,
  UpgradeInput,
  UpgradeOptionsSchema,
  type UpgradeOptions,
  type UpgradeRequest,
} from '../model/options.js';
import { Failure } from '../model/errors.js';

/**
 * The input as sent and its options with defaults; throws an `InvalidInput` failure listing every
 * problem (missing names, bad values, unknown options) at once.
 */
export function checkRequest(raw: unknown): { request: UpgradeRequest; options: UpgradeOptions } {
  // a list is an object to JavaScript, not to JSON: it is refused like any other non-object
  const checked = v.safeParse(UpgradeInput, Array.isArray(raw) ? null : raw);
  if (!checked.success) {
    throw ApplicationFailure.nonRetryable(
      `invalid upgrade input: ${problems(checked.issues).join('; ')}`,
      Failure.InvalidInput,
    );
  }
  const options = Object.fromEntries(
    Object.entries(checked.output).filter(([key]) => key in UpgradeOptionsSchema.entries),
  ) as UpgradeOptions;
  return { request: raw as UpgradeRequest, options };
}
