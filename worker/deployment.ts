/**
 * Worker Versioning: every worker runs as one version (a build id) of a Worker Deployment. A workflow
 * is pinned to the version that started it unless its code says AUTO_UPGRADE (see README, Worker
 * versioning): an upgrade waiting days for its window finishes on its own build, new upgrades go to
 * the deployment's current version. A new build gets nothing new until it is made current.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { isGrpcServiceError } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { ROOT } from '../config/root.js';
import { bundleWorkflows } from './worker.js';

export const DEFAULT_DEPLOYMENT_NAME = 'k8s-rolling-upgrade';

/** Temporal's limit on ids is longer; this keeps ids readable in the UI and in search queries. */
const MAX_ID_LENGTH = 255;

function checkId(what: string, value: string, extra?: (v: string) => string | undefined): string {
  if (value.trim() === '') throw new Error(`${what} must not be empty`);
  if (/\s/.test(value)) throw new Error(`${what} must not contain white space (got "${value}")`);
  if (value.length > MAX_ID_LENGTH)
    throw new Error(`${what} is at most ${MAX_ID_LENGTH} characters (got ${value.length})`);
  const problem = extra?.(value);
  if (problem) throw new Error(`${what} ${problem} (got "${value}")`);
  return value;
}

/** A deployment name as the server takes it: not empty, no '.' or ':' (they separate it from the build id). */
export const checkDeploymentName = (name: string) =>
  checkId('the deployment name', name, (v) => (/[.:]/.test(v) ? "must not contain '.' or ':'" : undefined));

export const checkBuildId = (id: string) => checkId('the build id', id);

/**
 * The build id of a workflow bundle: the package's version and the first 12 hex digits of the SHA-256
 * of the bundled code, e.g. `0.1.0-3fa9c2e1b7d4`. Workers running the same workflow code get the same
 * id on any machine; any change of workflow code gives another, so two different codes never share a
 * version (a pinned upgrade replayed on other code would fail).
 */
export function bundleBuildId(code: string | Buffer, version = packageVersion()): string {
  return `${version}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' && pkg.version !== '' ? pkg.version : '0.0.0';
}

/** The worker's versioning flags: `--no-versioning` (or K8S_RU_VERSIONING), `--deployment-name`, `--build-id`. */
export interface VersionFlags {
  versioning: boolean;
  deploymentName: string;
  buildId?: string;
}

/** K8S_RU_VERSIONING: on unless it says off. */
export function versioningVariable(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '' || /^(on|true|yes|1)$/i.test(value.trim())) return true;
  if (/^(off|false|no|0)$/i.test(value.trim())) return false;
  throw new Error(`K8S_RU_VERSIONING is on or off (true/false, yes/no, 1/0), not "${value}"`);
}

/** Checks the versioning flags before anything is bundled or connected. */
export function checkVersionFlags(f: VersionFlags): void {
  if (!f.versioning) {
    if (f.buildId !== undefined) {
      throw new Error(
        '--build-id (K8S_RU_BUILD_ID) names a version of a worker deployment, but versioning is off ' +
          '(--no-versioning or K8S_RU_VERSIONING=off): give one or the other',
      );
    }
    return;
  }
  checkDeploymentName(f.deploymentName);
  if (f.buildId !== undefined) checkBuildId(f.buildId);
}

/**
 * The version this worker runs as (none when versioning is off) and the workflow code it runs. Without
 * a build id the code is read (or bundled here) once, hashed for the id, and handed to the worker as is,
 * so the id names exactly the code that runs.
 */
export async function workerVersion(
  f: VersionFlags,
  workflowBundle?: string,
): Promise<{ version?: WorkerDeploymentVersion; workflowBundle?: string | { code: string } }> {
  if (!f.versioning) return { workflowBundle };
  if (f.buildId !== undefined)
    return { version: { deploymentName: f.deploymentName, buildId: f.buildId }, workflowBundle };
  const code = workflowBundle ? readFileSync(workflowBundle, 'utf8') : await bundleWorkflows();
  return { version: { deploymentName: f.deploymentName, buildId: bundleBuildId(code) }, workflowBundle: { code } };
}

/** The command an operator runs to make a build current. */
export const setCurrentCommand = (v: WorkerDeploymentVersion) =>
  `temporal worker deployment set-current-version --deployment-name ${v.deploymentName} --build-id ${v.buildId}`;

export type Routing =
  | { state: 'current' }
  /** this build became current: the deployment never had a current version before */
  | { state: 'made-current' }
  /** another version (or unversioned workers, `current` undefined) gets new workflows */
  | { state: 'not-current'; current?: string };

/** What the routing means for this worker, in one line for its log. */
export function routingText(v: WorkerDeploymentVersion, r: Routing): string {
  const me = `build ${v.buildId} of worker deployment ${v.deploymentName}`;
  if (r.state === 'current') return `${me} is current`;
  if (r.state === 'made-current') return `${me} is current (the deployment's first)`;
  return (
    `${me} is not current (new upgrades go to ${r.current ? `build ${r.current}` : 'unversioned workers'}); ` +
    `it runs only what is pinned to it until made current: ${setCurrentCommand(v)}`
  );
}

/** gRPC status codes the settling waits through */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const isCode = (err: unknown, code: number) => isGrpcServiceError(err) && err.code === code;
const unset = (t: { seconds?: unknown } | null | undefined) => !t || Number(t.seconds ?? 0) <= 0;

/**
 * Once the worker polls (its version is then registered): whether this build is current, making it so
 * when the deployment has never had a current version (its first build ever), so that a first install
 * works without a manual step. A deployment whose current version was ever set (to a build or to
 * unversioned workers) is left as the operator set it. Gives up after `timeoutMs`.
 */
export async function settleRouting(
  connection: NativeConnection,
  namespace: string,
  v: WorkerDeploymentVersion,
  identity: string,
  timeoutMs = 60_000,
): Promise<Routing> {
  const service = connection.workflowService;
  const deadline = Date.now() + timeoutMs;
  let last = 'the deployment did not answer';
  for (;;) {
    try {
      const { workerDeploymentInfo: info, conflictToken } = await service.describeWorkerDeployment({
        namespace,
        deploymentName: v.deploymentName,
      });
      const routing = info?.routingConfig;
      const current = routing?.currentDeploymentVersion?.buildId ?? undefined;
      const registered = (info?.versionSummaries ?? []).some((s) => s.deploymentVersion?.buildId === v.buildId);
      if (current === v.buildId) return { state: 'current' };
      if (!unset(routing?.currentVersionChangedTime)) return { state: 'not-current', current };
      if (registered) {
        await service.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: v.deploymentName,
          buildId: v.buildId,
          conflictToken,
          identity,
        });
        return { state: 'made-current' };
      }
      last = `build ${v.buildId} is not registered in the deployment yet`;
    } catch (err) {
      // not created yet (the first poll creates it), or another replica changed it meanwhile: ask again
      if (!isCode(err, NOT_FOUND) && !isCode(err, FAILED_PRECONDITION)) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`worker deployment ${v.deploymentName} not settled after ${timeoutMs / 1000} s: ${last}`);
    }
    await sleep(500);
  }
}
