/** Checks the workflow input (it may come from `temporal workflow start --input`) and fills defaults. */
import { ApplicationFailure } from '@temporalio/common';
import { parseWindows } from './window.js';
import { DEFAULTS, type UpgradeOptions, type UpgradeRequest } from '../model/upgrade.js';
import { Failure } from '../model/errors.js';

const KNOWN = new Set([
  'cluster',
  'template',
  'allowSkew',
  'maxUnavailable',
  'drainTimeoutSeconds',
  'onDrainTimeout',
  'gracePeriodSeconds',
  'deleteEmptyDirData',
  'force',
  'soakSeconds',
  'nodeReadyTimeoutSeconds',
  'gateTimeoutSeconds',
  'probes',
  'windows',
  'maxHistoryEvents',
  'maxSurge',
]);

export function checkRequest(raw: unknown): { request: UpgradeRequest; options: UpgradeOptions } {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw ApplicationFailure.nonRetryable(
      'invalid upgrade input: expected a JSON object like {"cluster": "...", "template": "..."}',
      Failure.InvalidInput,
    );
  }
  const r = raw as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) problems.push(`unknown option(s) ${unknown.join(', ')} (known: ${[...KNOWN].join(', ')})`);
  if (typeof r.cluster !== 'string' || r.cluster === '') problems.push('"cluster" (a cluster name) is required');
  if (typeof r.template !== 'string' || r.template === '') problems.push('"template" (a template name) is required');
  const bool = (k: string) => {
    if (r[k] !== undefined && typeof r[k] !== 'boolean') problems.push(`"${k}" must be true or false`);
  };
  const seconds = (k: string, min = 0) => {
    if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isFinite(r[k]) || (r[k] as number) < min)) {
      problems.push(`"${k}" must be a number of seconds >= ${min}`);
    }
  };
  ['allowSkew', 'deleteEmptyDirData', 'force'].forEach(bool);
  ['drainTimeoutSeconds', 'nodeReadyTimeoutSeconds', 'gateTimeoutSeconds'].forEach((k) => seconds(k, 1));
  ['gracePeriodSeconds', 'soakSeconds'].forEach((k) => seconds(k));
  if (
    r.maxHistoryEvents !== undefined &&
    !(Number.isInteger(r.maxHistoryEvents) && (r.maxHistoryEvents as number) >= 10)
  ) {
    problems.push('"maxHistoryEvents" must be a whole number >= 10');
  }
  if (r.maxSurge !== undefined && !(Number.isInteger(r.maxSurge) && (r.maxSurge as number) >= 0)) {
    problems.push('"maxSurge" must be a whole number >= 0 (new nodes registered before old ones are drained)');
  }
  if (r.gracePeriodSeconds !== undefined && !Number.isInteger(r.gracePeriodSeconds)) {
    problems.push('"gracePeriodSeconds" must be a whole number of seconds');
  }
  // A gate runs as one activity of at most 30 minutes.
  if (typeof r.gateTimeoutSeconds === 'number' && r.gateTimeoutSeconds > 1500) {
    problems.push('"gateTimeoutSeconds" must be at most 1500');
  }
  const mu = r.maxUnavailable;
  if (
    mu !== undefined &&
    !(typeof mu === 'number' && Number.isInteger(mu) && mu >= 1) &&
    !(
      typeof mu === 'string' &&
      /^\d+(\.\d+)?%$/.test(mu) &&
      Number(mu.slice(0, -1)) > 0 &&
      Number(mu.slice(0, -1)) <= 100
    )
  ) {
    problems.push('"maxUnavailable" must be a whole number >= 1 or a percentage such as "10%"');
  }
  if (r.onDrainTimeout !== undefined && !['pause', 'force', 'abort'].includes(r.onDrainTimeout as string)) {
    problems.push('"onDrainTimeout" must be one of pause, force, abort');
  }
  if (r.probes !== undefined) {
    const ok = (p: Record<string, unknown>) =>
      typeof p?.url === 'string' &&
      /^https?:\/\//.test(p.url) &&
      (p.successes === undefined ||
        (Number.isInteger(p.successes) && (p.successes as number) >= 1 && (p.successes as number) <= 20)) &&
      ['intervalMs', 'timeoutMs'].every(
        (k) => p[k] === undefined || (typeof p[k] === 'number' && (p[k] as number) > 0 && (p[k] as number) <= 60_000),
      );
    if (!Array.isArray(r.probes) || !r.probes.every(ok)) {
      problems.push(
        '"probes" must be a list of {"url": "http://...", "successes": 1-20, "intervalMs": ms, "timeoutMs": ms}',
      );
    }
  }
  if (r.windows !== undefined) {
    if (!Array.isArray(r.windows) || r.windows.some((w) => typeof w !== 'string')) {
      problems.push('"windows" must be a list of strings like "Sat,Sun 02:00-06:00 Pacific/Auckland"');
    } else {
      try {
        parseWindows(r.windows as string[]);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(`invalid upgrade input: ${problems.join('; ')}`, Failure.InvalidInput);
  }
  const request = r as unknown as UpgradeRequest;
  const options: UpgradeOptions = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as (keyof UpgradeOptions)[]) {
    if (request[k] !== undefined) (options as Record<string, unknown>)[k] = request[k];
  }
  if (request.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = request.gracePeriodSeconds;
  return { request, options };
}
