/**
 * The `command` provider (real clusters): runs the operator's command for one node — a kubeadm upgrade
 * over SSH, a cloud CLI that rebuilds the machine — at most once per node per upgrade (README: "The
 * `command` provider", the contract). The command gets an explicit environment (env.ts), runs in a
 * process group of its own under a wrapper that records its exit status (runs.ts), and is recorded on
 * the node before it starts (record.ts). Every attempt first settles the runs an earlier attempt may
 * have left (settle.ts): it waits for one still running on this machine, takes the outcome of one
 * that ended, and refuses (ReplaceInDoubt) when one may still run on another machine.
 * Exit status 0 means the node is being (or has been) replaced; the upgrade then waits for it to be
 * Ready at the target version. 75 means nothing was changed and a retry may run it again.
 */
import type { V1Node } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { Cluster, ReplaceProvider } from '../../model/catalogue.js';
import { Failure } from '../../model/errors.js';
import { sameVersion } from '../../model/versions.js';
import { type Kube } from '../kube/client.js';
import { nodeState, readNode } from '../kube/nodes.js';
import { commandEnv, commandVariables, idempotencyKey, secretValues } from './env.js';
import { machine, processStart } from './group.js';
import type { ReplaceResult } from './provider.js';
import { recordedRun, recordRun, updateRun } from './record.js';
import { launch, type ReplaceRun, runFiles } from './runs.js';
import { outcome, settle, type Settling } from './settle.js';
import { type Watcher, watchRun } from './watch.js';

export type CommandProvider = Extract<ReplaceProvider, { provider: 'command' }>;

export interface CommandRequest {
  kube: Kube;
  cluster: Cluster & { replace: CommandProvider };
  node: string;
  targetVersion: string;
  upgradeId: string;
  /** the upgrade's first run id (stable across continue-as-new): in the key, when the workflow gives it */
  upgradeRun?: string;
  /** the worker's state dir (run files go under `replace/`) */
  stateDir: string;
}

/** What the activity heartbeats: the step, and the run (so that the next attempt knows it). */
export interface ReplaceBeat {
  step: string;
  run?: ReplaceRun;
}

export async function replaceWithCommand(req: CommandRequest, ctx: Context): Promise<ReplaceResult> {
  const { info } = ctx;
  const key = idempotencyKey(req.upgradeId, req.node, req.targetVersion, req.upgradeRun);
  const here = machine();
  const files = runFiles(req.stateDir, here.host, key);
  const filesOf = (k: string) => (k === key ? files : runFiles(req.stateDir, here.host, k));
  const secrets = secretValues(req.cluster.replace, process.env);
  const watcher: Watcher = {
    heartbeat: (step, run) => ctx.heartbeat({ step, run } satisfies ReplaceBeat),
    signal: ctx.cancellationSignal,
    cancellation: () => ctx.cancellationDetails,
    label: `replace ${req.node} [${key}]`,
    secrets,
  };
  const s: Settling = {
    key,
    activity: `${info.workflowExecution?.workflowId ?? ''}/${info.workflowExecution?.runId ?? ''}/${info.activityId}`,
    here,
    files: filesOf,
    kube: req.kube,
    node: req.node,
    timeoutSeconds: req.cluster.replace.timeoutSeconds,
    watcher,
  };
  const previous = (info.heartbeatDetails as ReplaceBeat | undefined)?.run;
  for (let tries = 1; ; tries++) {
    const node = await readNode(req.kube, req.node);
    const settled = await settle(s, [recordedRun(node), previous?.key === key ? previous : undefined, ...files.list()]);
    if (settled) return outcome(s, settled, secrets);
    if (!node)
      throw ApplicationFailure.nonRetryable(
        `node ${req.node} does not exist in cluster ${req.cluster.name}, and no run of its replacement is recorded`,
        Failure.NodeNotFound,
      );
    if (sameVersion(node.status?.nodeInfo?.kubeletVersion ?? '', req.targetVersion)) {
      return { node: req.node, replaced: false, detail: `already at ${req.targetVersion}` };
    }
    const run = files.create({ key, activity: s.activity, attempt: info.attempt, ...here });
    // Recorded on the node first, as the node was read: another attempt that got there first wins.
    if (await recordRun(req.kube, node, run)) {
      const ended = await start(req, s, node, run, info.attempt);
      return outcome(s, ended, secrets);
    }
    if (tries >= 5)
      throw ApplicationFailure.retryable(
        `node ${req.node} changed ${tries} times while its replacement was being recorded`,
        Failure.KubeApiError,
      );
  }
}

/** Starts the run recorded on the node and watches it to its end; the run, with its exit status. */
async function start(req: CommandRequest, s: Settling, node: V1Node, run: ReplaceRun, attempt: number) {
  const { replace } = req.cluster;
  const files = s.files(s.key);
  const variables = commandVariables({
    node: req.node,
    role: nodeState(node).role,
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    providerId: node.spec?.providerID ?? '',
    fromVersion: node.status?.nodeInfo?.kubeletVersion ?? '',
    targetVersion: req.targetVersion,
    cluster: req.cluster.name,
    kubeconfig: req.cluster.kubeconfig,
    upgradeId: req.upgradeId,
    upgradeRun: req.upgradeRun,
    key: s.key,
    attempt,
    timeoutSeconds: replace.timeoutSeconds,
  });
  files.write(run);
  let exited = false;
  const child = launch(files, run, replace.command, commandEnv(variables, replace, process.env));
  const failed = new Promise<Error>((resolve) => child.once('error', resolve));
  child.once('exit', () => (exited = true));
  let started: ReplaceRun = run;
  // the node records `run`, or `started` once that update is made
  const recorded = () => [started, run];
  if (child.pid === undefined) {
    files.recordExit(run, `unknown: it did not start (${(await failed).message})`);
  } else {
    console.log(`${s.watcher.label}: started (attempt ${attempt}, pid ${child.pid}, run ${run.run})`);
    started = { ...run, pid: child.pid, pidStart: processStart(child.pid) };
    files.write(started);
    s.watcher.heartbeat('started the replacement command', started);
    await noted(s, () => updateRun(req.kube, req.node, run, started));
    const deadline = Date.parse(started.startedAt) + replace.timeoutSeconds * 1000;
    try {
      await watchRun(started, files, deadline, () => exited, s.watcher);
    } catch (err) {
      const over = files.complete(started);
      if (over.exit !== undefined) {
        // ended with the attempt (cancelled, the worker's shutdown grace over): the node says so, so
        // that a successor on another machine, or `recover`, does not take it for running
        await recordEnd(req, s, recorded(), { ...over, endedAt: new Date().toISOString() });
      } else if (!exited) {
        // the attempt is lost, the command goes on without this worker waiting for it; its end still
        // reaches the node while this worker runs (else the next attempt here, or `recover`, reads it)
        child.unref();
        child.once('exit', () => {
          try {
            files.recordExit(started, `unknown: its wrapper ended by signal ${child.signalCode ?? '?'}`);
          } catch (e) {
            console.warn(`${s.watcher.label}: ${(e as Error).message}`); // an event handler: never throws
          }
          const end = { ...files.complete(started), endedAt: new Date().toISOString() };
          void recordEnd(req, s, recorded(), end);
        });
      }
      throw err;
    }
    files.recordExit(started, `unknown: its wrapper ended by signal ${child.signalCode ?? '?'}`);
  }
  const ended: ReplaceRun = { ...files.complete(started), endedAt: new Date().toISOString() };
  s.watcher.heartbeat(`the replacement command ended: ${ended.exit ?? '?'}`, ended);
  await recordEnd(req, s, recorded(), ended);
  return ended;
}

/** Completes the node's record of the run (as it may be: `was`, first match) with its end; best effort. */
async function recordEnd(req: CommandRequest, s: Settling, was: ReplaceRun[], ended: ReplaceRun): Promise<void> {
  // each update applies only if the node records that version exactly: at most one does
  for (const w of was) await noted(s, () => updateRun(req.kube, req.node, w, ended));
}

/**
 * Completes the node's record of a run under way or over; a failure is only logged: the run files and
 * the heartbeats hold the same facts, and a later attempt here completes the record.
 */
async function noted(s: Settling, update: () => Promise<void>): Promise<void> {
  try {
    await update();
  } catch (err) {
    console.warn(`${s.watcher.label}: could not update the run's record on the node: ${(err as Error).message}`);
  }
}
