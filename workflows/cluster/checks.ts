/**
 * Checks of what callers send the entity (an update may come from `temporal workflow update` or the
 * Web UI with any JSON): every problem named at once, as an ApplicationFailure the caller reads.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../model/errors.js';
import type { ClusterEntityInput } from '../../model/lock.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const text = (x: unknown) => typeof x === 'string' && x !== '';

/** Problems with a {"workflowId", "runChain"} */
function holderProblems(x: unknown): string[] {
  if (!isObject(x)) return ['"holder" must be {"workflowId": "...", "runChain": "..."}'];
  const out: string[] = [];
  if (!text(x.workflowId)) out.push('"holder.workflowId" must be a non-empty string');
  if (!text(x.runChain)) out.push('"holder.runChain" must be the first run id of the holder (a non-empty string)');
  return out;
}

function fail(what: string, problems: string[], expected: string): never {
  throw ApplicationFailure.nonRetryable(
    `invalid ${what}: ${problems.join('; ')} (expected ${expected})`,
    Failure.InvalidInput,
  );
}

function unknownKeys(x: Record<string, unknown>, known: string[]): string[] {
  const extra = Object.keys(x).filter((k) => !known.includes(k));
  return extra.length > 0 ? [`unknown field(s): ${extra.join(', ')}`] : [];
}

export function checkAcquire(x: unknown): void {
  const expected =
    '{"holder": {"workflowId", "runChain"}, "purpose": "upgrade" | "recover", "target": "..." (optional)}';
  if (!isObject(x)) fail('acquire', ['not an object'], expected);
  const problems = [...holderProblems(x.holder), ...unknownKeys(x, ['holder', 'purpose', 'target'])];
  if (x.purpose !== 'upgrade' && x.purpose !== 'recover') problems.push('"purpose" must be "upgrade" or "recover"');
  if (x.target !== undefined && !text(x.target)) problems.push('"target" must be a template name');
  if (problems.length > 0) fail('acquire', problems, expected);
}

/** Record fields that are the entity's own. */
const OWN = ['cluster', 'updated_at'];

function patchProblems(patch: unknown): string[] {
  if (!isObject(patch)) return ['"patch" must be an object of record fields'];
  const out: string[] = [];
  const own = Object.keys(patch).filter((k) => OWN.includes(k));
  if (own.length > 0) out.push(`"patch" may not set ${own.join(', ')} (the entity keeps them)`);
  if (patch.status !== undefined && !(typeof patch.status === 'string' && /^[A-Z_]+$/.test(patch.status)))
    out.push('"patch.status" must be a status such as UPDATE_IN_PROGRESS');
  for (const k of ['status_reason', 'template', 'coe_version'])
    if (patch[k] !== undefined && typeof patch[k] !== 'string') out.push(`"patch.${k}" must be a string`);
  return out;
}

export function checkPatch(x: unknown, optional: boolean, what: string): void {
  const expected = `{"holder": {"workflowId", "runChain"}, "patch": {...}${optional ? ' (optional)' : ''}}`;
  if (!isObject(x)) fail(what, ['not an object'], expected);
  const problems = [...holderProblems(x.holder), ...unknownKeys(x, ['holder', 'patch'])];
  if (!(optional && x.patch === undefined)) problems.push(...patchProblems(x.patch));
  if (problems.length > 0) fail(what, problems, expected);
}

/** The entity's own input (it may come from `temporal workflow start`): a cluster and its record. */
export function checkInput(x: unknown): ClusterEntityInput {
  const expected = '{"cluster": NAME, "record": {"cluster": NAME, "status", "template", ...}}';
  if (!isObject(x)) fail('cluster entity input', ['not an object'], expected);
  const problems: string[] = [];
  if (!text(x.cluster)) problems.push('"cluster" must be the catalogue name of the cluster');
  if (!isObject(x.record) || x.record.cluster !== x.cluster || !text(x.record.status) || !text(x.record.template))
    problems.push('"record" must be the cluster\'s record (its "cluster" the same name, with "status" and "template")');
  if (x.history !== undefined && !Array.isArray(x.history)) problems.push('"history" must be a list');
  if (x.maxHistoryEvents !== undefined && !(typeof x.maxHistoryEvents === 'number' && x.maxHistoryEvents >= 50))
    problems.push('"maxHistoryEvents" must be a number >= 50');
  if (problems.length > 0) fail('cluster entity input', problems, expected);
  return x as unknown as ClusterEntityInput;
}
