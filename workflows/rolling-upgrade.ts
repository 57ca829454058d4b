/**
 * `rollingUpgrade`: the whole upgrade of one cluster to a new template, as the seed describes it.
 * validate → pre-flight gate → control-plane nodes one at a time → workers in batches of
 * `maxUnavailable` (each node a `nodeUpgrade` child) with a gate after each → final gate → record the
 * new template. Orchestration only; every read or change of the world is an activity.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ClusterRecord } from '../model/record.js';
import type { NodeReport, UpgradeStatus } from '../model/status.js';
import type { UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';
import {
  abort,
  abortNode,
  DESCRIPTIONS,
  drainDecision,
  forceDrain,
  nodeProgress,
  pause,
  resume,
  retryDrain,
  skipNode,
  status,
} from './control.js';
import { checkRequest } from './input.js';
import { type NodeOutcome, nodeUpgrade } from './node-upgrade.js';
import { sameVersion } from '../model/versions.js';
import { applyReport, details, recount } from './progress.js';
import { workerBatchSize } from '../model/batches.js';
import { describeTime, nextOpening, openWindow, parseWindows } from './window.js';
import { searchAttributesOf } from './search.js';
import { Failure } from '../model/errors.js';

const act = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});
const preflight = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 3 },
});
const gates = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});

/** Raised inside the workflow only; never escapes it. */
class Aborted extends Error {}

/** The innermost failure's message ("child failed: activity failed: forbidden: …" → "forbidden: …"), with where. */
function rootCause(err: unknown): string {
  let e: unknown = err;
  const path: string[] = [];
  while (e instanceof Error && e.cause instanceof Error) {
    const id = (e as { workflowExecution?: { workflowId?: string } }).workflowExecution?.workflowId;
    if (id) path.push(id.slice(id.lastIndexOf('/') + 1));
    e = e.cause;
  }
  const message = e instanceof Error ? e.message : String(e);
  return path.length > 0 ? `node ${path.join(', ')}: ${message}` : message;
}

/** What a run hands to the next when it continues as new (history bounded at any cluster size). */
export interface Carried {
  status: UpgradeStatus;
  pauseReason?: string;
  valid: ValidatedUpgrade;
}

export async function rollingUpgrade(input: UpgradeRequest, carried?: Carried): Promise<UpgradeStatus> {
  const upgradeId = workflowInfo().workflowId;
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Partial<UpgradeRequest>;
  const st: UpgradeStatus = {
    workflowId: upgradeId,
    cluster: String(raw.cluster ?? ''),
    toTemplate: String(raw.template ?? ''),
    clusterStatus: 'VALIDATING',
    phase: 'validating',
    abortRequested: false,
    nodes: [],
    current: [],
    done: 0,
    remaining: 0,
    errors: [],
    warnings: [],
  };
  if (carried) Object.assign(st, carried.status);
  let pauseReason: string | undefined = carried?.pauseReason;
  /** nodes whose child workflow runs now (plain JSON, like all workflow state) */
  const running: string[] = [];
  const childId = (node: string) => `${upgradeId}/${node}`;
  const tag = searchAttributesOf();
  /** What the UI and list queries show: current details and search attributes. */
  const refresh = () => {
    setCurrentDetails(details(st));
    tag(st);
  };
  const blockedNodes = () => st.nodes.filter((n) => n.step === 'blocked');
  const signalChild = async (
    node: string,
    send: (h: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>,
  ) => {
    try {
      await send(getExternalWorkflowHandle(childId(node)));
    } catch {
      // the child already finished: nothing to tell it
    }
  };

  // Handlers first, so no message is missed; `status` answers even when the input is refused.
  setHandler(status, () => st, { description: DESCRIPTIONS.status });
  let checked: ReturnType<typeof checkRequest>;
  try {
    checked = checkRequest(input);
  } catch (err) {
    st.phase = 'failed';
    st.errors.push((err as Error).message);
    throw err;
  }
  const { request, options } = checked;
  setHandler(
    pause,
    (r) => {
      pauseReason = r?.reason ? `paused by the operator: ${r.reason}` : 'paused by the operator';
    },
    { description: DESCRIPTIONS.pause },
  );
  setHandler(
    resume,
    async () => {
      pauseReason = undefined;
      // A blocked drain is a pause too: resume retries it.
      await Promise.all(
        blockedNodes().map((n) => {
          n.step = 'drain';
          return signalChild(n.name, (h) => h.signal(drainDecision, { action: 'retry' }));
        }),
      );
      refresh();
    },
    { description: DESCRIPTIONS.resume },
  );
  setHandler(
    abort,
    async (r) => {
      if (!st.abortRequested)
        st.errors.push(r?.reason ? `abort requested: ${r.reason}` : 'abort requested by the operator');
      st.abortRequested = true;
      // Every child started and not finished, including those that have not reported yet.
      await Promise.all(running.map((node) => signalChild(node, (h) => h.signal(abortNode))));
      refresh();
    },
    { description: DESCRIPTIONS.abort },
  );
  const onReport = (report: NodeReport) => {
    applyReport(st, report);
    const blocked = blockedNodes();
    if (blocked.length > 0 && st.phase === 'upgrading') {
      st.phase = 'paused';
      st.clusterStatus = 'UPDATE_PAUSED';
    }
    if (blocked.length > 0) {
      st.pausedReason = `drain blocked on ${blocked.map((n) => n.name).join(', ')}: waiting for an operator (retryDrain, forceDrain, skipNode, resume or abort)`;
    } else if (st.phase === 'paused' && !pauseReason) {
      st.phase = 'upgrading';
      st.clusterStatus = 'UPDATE_IN_PROGRESS';
      st.pausedReason = undefined;
    }
    refresh();
  };
  setHandler(nodeProgress, onReport, { description: DESCRIPTIONS.nodeProgress });

  const mustBeBlocked = ({ node }: { node: string }) => {
    const n = st.nodes.find((x) => x.name === node);
    if (!n) throw ApplicationFailure.nonRetryable(`node "${node}" is not part of this upgrade`, Failure.BadRequest);
    if (n.step !== 'blocked') {
      const blocked = blockedNodes().map((x) => x.name);
      throw ApplicationFailure.nonRetryable(
        `node ${node} is not blocked (it is at step ${n.step}); blocked nodes: ${blocked.join(', ') || 'none'}`,
        Failure.BadRequest,
      );
    }
  };
  const decide =
    (action: 'retry' | 'force' | 'skip', message: string) => async (req: { node: string; timeoutSeconds?: number }) => {
      const n = st.nodes.find((x) => x.name === req.node);
      if (n) n.step = action === 'skip' ? 'uncordon' : 'drain';
      await signalChild(req.node, (h) => h.signal(drainDecision, { action, timeoutSeconds: req.timeoutSeconds }));
      return `${message} ${req.node}`;
    };
  setHandler(retryDrain, decide('retry', 'retrying the drain of'), {
    description: DESCRIPTIONS.retryDrain,
    validator: (req) => {
      mustBeBlocked(req);
      if (req.timeoutSeconds !== undefined && !(typeof req.timeoutSeconds === 'number' && req.timeoutSeconds > 0)) {
        throw ApplicationFailure.nonRetryable('timeoutSeconds must be a number of seconds > 0', Failure.BadRequest);
      }
    },
  });
  setHandler(forceDrain, decide('force', 'deleting the blocking pods of'), {
    description: DESCRIPTIONS.forceDrain,
    validator: mustBeBlocked,
  });
  setHandler(skipNode, decide('skip', 'skipping'), { description: DESCRIPTIONS.skipNode, validator: mustBeBlocked });

  const record = async (patch: Partial<Omit<ClusterRecord, 'cluster' | 'updated_at'>>) => {
    await act.recordStatus({ cluster: request.cluster, patch: { workflow_id: upgradeId, ...patch } });
  };

  const windows = parseWindows(options.windows);

  /** Between nodes: honour abort, pause (waiting durably) and the maintenance windows (a durable timer). */
  const safePoint = async () => {
    for (;;) {
      if (st.abortRequested) throw new Aborted();
      if (pauseReason) {
        st.phase = 'paused';
        st.pausedReason = pauseReason;
        st.clusterStatus = 'UPDATE_PAUSED';
        refresh();
        await record({ status: 'UPDATE_PAUSED', status_reason: pauseReason });
        await condition(() => pauseReason === undefined || st.abortRequested);
        if (st.abortRequested) throw new Aborted();
        st.pausedReason = undefined;
        st.phase = 'upgrading';
        st.clusterStatus = 'UPDATE_IN_PROGRESS';
        refresh();
        await record({ status: 'UPDATE_IN_PROGRESS', status_reason: 'resumed by the operator' });
        continue;
      }
      if (windows.length > 0 && !openWindow(windows, Date.now())) {
        const next = nextOpening(windows, Date.now());
        st.phase = 'waiting-for-window';
        st.window = { waitingUntil: describeTime(next.opens, next.window.zone), spec: next.window.spec };
        st.pausedReason = `waiting for maintenance window until ${st.window.waitingUntil}`;
        refresh();
        await condition(() => st.abortRequested || pauseReason !== undefined, next.opens - Date.now());
        st.window = undefined;
        st.pausedReason = undefined;
        st.phase = 'upgrading';
        refresh();
        continue;
      }
      return;
    }
  };

  /** After a node or batch: soak, then the gate; a failing gate pauses for the operator. */
  const gateOrPause = async (what: string) => {
    for (;;) {
      if (options.soakSeconds > 0) await sleep(options.soakSeconds * 1000);
      const upgraded = st.nodes.filter((n) => n.step === 'done').map((n) => n.replacedBy ?? n.name);
      st.lastGate = await gates.healthGate({
        cluster: request.cluster,
        timeoutSeconds: options.gateTimeoutSeconds,
        upgradedNodes: upgraded,
        targetVersion: st.toVersion,
        probes: options.probes,
      });
      refresh();
      if (st.lastGate.healthy) return;
      pauseReason = `health gate failed after ${what}: ${st.lastGate.checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.detail}`)
        .join('; ')}`;
      await safePoint();
    }
  };

  const upgradeNode = async (node: string): Promise<NodeOutcome> => {
    running.push(node);
    const surge = options.maxSurge > 0 && st.nodes.find((n) => n.name === node)?.role === 'worker';
    try {
      const child = await startChild(nodeUpgrade, {
        workflowId: childId(node),
        args: [
          {
            cluster: request.cluster,
            node,
            toVersion: st.toVersion ?? '',
            upgradeId,
            options,
            ...(surge ? { surge } : {}),
          },
        ],
      });
      if (st.abortRequested) await child.signal(abortNode); // the abort came while it was starting
      const result = await child.result();
      if (typeof result === 'string') return result; // a child that sent its last report as a signal
      if (result.report) onReport(result.report);
      return result.outcome;
    } finally {
      running.splice(running.indexOf(node), 1);
    }
  };
  const upgradeBatch = async (nodes: string[]) => {
    const results = await Promise.allSettled(nodes.map(upgradeNode));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const outcomes = results.map((r) => (r as PromiseFulfilledResult<NodeOutcome>).value);
    if (outcomes.includes('aborted')) throw new Aborted();
  };

  const finish = async () => {
    try {
      const nodes = await act.nodeStates(request.cluster);
      for (const n of nodes) {
        const p = st.nodes.find((x) => x.name === n.name || x.replacedBy === n.name);
        if (p) p.version = n.kubeletVersion;
      }
    } catch (err) {
      st.errors.push(`could not read the final node versions: ${(err as Error).message}`);
    }
    recount(st);
    refresh();
  };
  const versions = () =>
    st.nodes
      .map((n) => `${n.name}${n.replacedBy ? ` → ${n.replacedBy}` : ''}=${n.version}${n.cordoned ? ' (CORDONED)' : ''}`)
      .join(', ');

  refresh();
  // Before anything is touched: a refusal leaves the cluster and its record as they were.
  const preflightSteps = async () => {
    const valid = await act.validateUpgrade(request);
    Object.assign(st, {
      fromTemplate: valid.fromTemplate,
      fromVersion: valid.fromVersion,
      toVersion: valid.toVersion,
      toTemplate: valid.toTemplate,
    });
    st.phase = 'preflight';
    refresh();
    const plan = await preflight.planUpgrade({
      cluster: valid.cluster,
      fromVersion: valid.fromVersion,
      toVersion: valid.toVersion,
      options,
    });
    st.warnings = plan.warnings;
    st.nodes = plan.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      version: n.kubeletVersion,
      step: n.action === 'skip' && !n.unschedulable ? 'done' : 'pending',
      cordoned: false,
      detail: n.action === 'skip' ? 'already at the target version' : undefined,
    }));
    recount(st);
    st.lastGate = await gates.healthGate({
      cluster: valid.cluster,
      timeoutSeconds: Math.min(options.gateTimeoutSeconds, 60),
      probes: options.probes,
    });
    if (!st.lastGate.healthy) {
      throw ApplicationFailure.nonRetryable(
        `cluster ${valid.cluster} is unhealthy; refusing to start the upgrade: ` +
          st.lastGate.checks
            .filter((c) => !c.ok)
            .map((c) => `${c.name}: ${c.detail}`)
            .join('; '),
        Failure.UnhealthyCluster,
        st.lastGate,
      );
    }
    return valid;
  };
  let valid: ValidatedUpgrade;
  if (carried) {
    valid = carried.valid; // a continued run: validated, checked and recorded by the first one
  } else {
    try {
      valid = await preflightSteps();
    } catch (err) {
      st.phase = 'failed';
      st.errors.push(rootCause(err));
      refresh();
      throw err;
    }
    st.phase = 'upgrading';
    st.clusterStatus = 'UPDATE_IN_PROGRESS';
    refresh();
    await record({
      status: 'UPDATE_IN_PROGRESS',
      status_reason: `upgrading to ${valid.toTemplate}`,
      target_template: valid.toTemplate,
    });
  }

  /** Between batches, when no child runs: hand the progress to a new run before the history grows large. */
  const continueIfLong = async () => {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < options.maxHistoryEvents) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof rollingUpgrade>(input, { status: st, pauseReason, valid });
  };
  try {
    const pending = (role: string) =>
      st.nodes.filter((n) => n.role === role && n.step === 'pending').map((n) => n.name);
    for (const node of pending('control-plane')) {
      await continueIfLong();
      await safePoint();
      await upgradeBatch([node]);
      await gateOrPause(`node ${node}`);
    }
    const workers = pending('worker');
    const size = workerBatchSize(options, st.nodes.filter((n) => n.role === 'worker').length);
    for (let i = 0; i < workers.length; i += size) {
      const batch = workers.slice(i, i + size);
      await continueIfLong();
      await safePoint();
      await upgradeBatch(batch);
      await gateOrPause(batch.length === 1 ? `node ${batch[0]}` : `nodes ${batch.join(', ')}`);
    }
    st.phase = 'final-gate';
    refresh();
    await gateOrPause('the last node');
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    await finish();
    if (err instanceof Aborted) {
      st.phase = 'aborted';
      st.clusterStatus = 'UPDATE_ABORTED';
      refresh();
      await record({ status: 'UPDATE_ABORTED', status_reason: `aborted by the operator; nodes: ${versions()}` });
      return st;
    }
    const message = rootCause(err);
    st.phase = 'failed';
    st.clusterStatus = 'UPDATE_FAILED';
    st.errors.push(message);
    refresh();
    await record({ status: 'UPDATE_FAILED', status_reason: `${message}; nodes: ${versions()}` });
    throw ApplicationFailure.nonRetryable(
      `upgrade of ${request.cluster} failed: ${message}`,
      Failure.UpgradeFailed,
      st,
    );
  }
  await finish();
  st.phase = 'completed';
  st.clusterStatus = 'UPDATE_COMPLETE';
  refresh();
  // Nodes skipped by the operator still run the old version: the cluster keeps its old template.
  const behind = st.nodes.filter((n) => !sameVersion(n.version, valid.toVersion));
  await record(
    behind.length === 0
      ? {
          status: 'UPDATE_COMPLETE',
          status_reason: 'upgrade completed successfully',
          template: valid.toTemplate,
          coe_version: valid.toVersion,
          target_template: null,
          health_status: 'HEALTHY',
        }
      : {
          status: 'UPDATE_COMPLETE',
          status_reason: `partial: ${behind.map((n) => `${n.name}=${n.version}`).join(', ')} not upgraded (skipped); nodes: ${versions()}`,
          health_status: 'HEALTHY',
        },
  );
  return st;
}
