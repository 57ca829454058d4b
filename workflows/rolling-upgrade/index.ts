/**
 * `rollingUpgrade`: the whole upgrade of one cluster to a new template, as the seed describes it.
 * validate → pre-flight gate → control-plane nodes one at a time → workers in batches (each node a
 * `nodeUpgrade` child) with a gate after each → nodes that joined meanwhile → final gate → record the
 * new template. An abort (or a cancellation, which is one) arriving at any time before the final record
 * ends it as UPDATE_ABORTED.
 * Orchestration only: every read or change of the world is an activity; the state and its
 * transitions are in ./state.ts, the message handlers in ./handlers.ts.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { workerBatchSize } from '../../model/batches.js';
import { Failure } from '../../model/errors.js';
import type { UpgradeStatus } from '../../model/status.js';
import type { UpgradeOptions, UpgradeRequest, ValidatedUpgrade } from '../../model/upgrade.js';
import { Aborted } from '../aborted.js';
import { DESCRIPTIONS, status } from '../control.js';
import { checkRequest } from '../input.js';
import { parseWindows } from '../window.js';
import { preflight, quick } from './activities.js';
import { failureType, rootCause } from '../cause.js';
import { NodeChildren } from './children.js';
import { display } from './display.js';
import { gateOrPause, preflightGate } from './gate.js';
import { handleMessages } from './handlers.js';
import { measured } from '../metrics.js';
import { logged } from '../progress-log.js';
import { Notifier } from '../notify/notifier.js';
import { RecordWriter } from './record.js';
import { safePoint } from './safe-point.js';
import { type Carried, Upgrade } from './state.js';

export type { Carried } from './state.js';

export async function rollingUpgrade(input: UpgradeRequest, carried?: Carried): Promise<UpgradeStatus> {
  const id = workflowInfo().workflowId;
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Partial<UpgradeRequest>;
  const cluster = String(raw.cluster ?? '');
  const upgrade = carried
    ? Upgrade.continued(id, cluster, carried)
    : new Upgrade(id, cluster, String(raw.template ?? ''));
  // Handlers first, so no message is missed; `status` answers even when the input is refused.
  setHandler(status, () => upgrade.view(), { description: DESCRIPTIONS.status });
  let checked: ReturnType<typeof checkRequest>;
  try {
    checked = checkRequest(input);
  } catch (err) {
    upgrade.fail((err as Error).message);
    throw err;
  }
  const { request, options } = checked;
  const notifier = new Notifier(() => upgrade.view(), request.cluster, workflowInfo().firstExecutionRunId);
  // refused because another upgrade holds the cluster's lock: that one runs, this one neither failed nor ran
  let lockedOut = false;
  upgrade.showTo(notifier.watching(logged(measured(display(), () => lockedOut))));
  const children = new NodeChildren(upgrade, request.cluster, options, workflowInfo().firstExecutionRunId);
  handleMessages(upgrade, children);
  // A cancellation (Web UI, `temporal workflow cancel`) is an abort, wherever it finds the upgrade.
  CancellationScope.current().cancelRequested.catch(() => upgrade.abort('the upgrade workflow was cancelled'));

  // A run continued as new holds the cluster's lock already (the same id and run chain).
  const record = new RecordWriter(request.cluster, id, workflowInfo().firstExecutionRunId, carried !== undefined);
  const windows = parseWindows(options.windows);
  const atSafePoint = () => safePoint(upgrade, windows, record, notifier);
  const gate = (what: string, nodes: string[]) =>
    gateOrPause(upgrade, request.cluster, options, what, atSafePoint, (r) => notifier.gateFailed(what, nodes, r));

  /** One batch: hand over to a new run if the history grew long, stop if asked, upgrade, gate. */
  const step = async (nodes: string[]) => {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= options.maxHistoryEvents) {
      await condition(allHandlersFinished);
      await notifier.flush();
      await continueAsNew<typeof rollingUpgrade>(input, upgrade.carry());
    }
    await atSafePoint();
    await children.batch(nodes);
    await gate(nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.join(', ')}`, nodes);
  };

  let valid: ValidatedUpgrade;
  await notifier.load();
  if (carried) {
    valid = carried.valid;
  } else {
    // Before anything is touched: a refusal leaves the cluster and its record as they were.
    try {
      valid = await checks(upgrade, request, options, record);
    } catch (err) {
      lockedOut = failureType(err) === Failure.ClusterLocked;
      upgrade.fail(rootCause(err));
      // a lock not let go here is the entity's to clear once this workflow has ended
      await CancellationScope.nonCancellable(() => record.release()).catch(() => undefined);
      // the webhooks hear of the upgrade that holds the lock, not that the cluster's upgrade failed
      if (!lockedOut) await notifier.ended();
      throw err;
    }
    upgrade.start();
    await record.started(valid, upgrade.baseline);
    notifier.started();
  }

  /** Every pending node: control plane one at a time, then workers in batches. */
  const pendingNodes = async () => {
    for (const node of upgrade.pending('control-plane')) await step([node]);
    const workers = upgrade.pending('worker');
    const size = workerBatchSize(options, upgrade.count('worker'));
    for (let i = 0; i < workers.length; i += size) await step(workers.slice(i, i + size));
  };

  try {
    await pendingNodes();
    // Nodes that joined meanwhile (an autoscaler): at the old version they get a final batch.
    for (let round = 0; round < JOIN_ROUNDS; round++) {
      if (upgrade.joined(await quick.nodeStates(request.cluster)).length === 0) break;
      await pendingNodes();
    }
    upgrade.finalGate();
    await gate('the last node', upgrade.upgraded().slice(-1));
    await readVersions(upgrade, request.cluster);
    // an abort (or a cancellation) before the final record wins
    if (upgrade.isAbortRequested || CancellationScope.current().consideredCancelled) throw new Aborted();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    // This workflow cancelled, or one node's child (an abort of that node): the upgrade is aborted,
    // and what follows must not be cancelled.
    const cancelled = CancellationScope.current().consideredCancelled;
    const aborted = err instanceof Aborted || cancelled || isCancellation(err) || upgrade.isAbortRequested;
    const ended = await CancellationScope.nonCancellable(async () => {
      await readVersions(upgrade, request.cluster);
      if (aborted) {
        upgrade.aborted();
        await record.aborted(upgrade.view());
        return upgrade.view();
      }
      const message = rootCause(err);
      upgrade.fail(message);
      await record.failed(message, upgrade.view());
      return message;
    });
    await notifier.ended();
    // Temporal shows it cancelled; the record says UPDATE_ABORTED.
    if (cancelled) throw isCancellation(err) ? err : new CancelledFailure('the upgrade workflow was cancelled');
    if (typeof ended !== 'string') return ended;
    throw ApplicationFailure.nonRetryable(
      `upgrade of ${request.cluster} failed: ${ended}`,
      Failure.UpgradeFailed,
      upgrade.view(),
    );
  }
  upgrade.complete();
  await CancellationScope.nonCancellable(() => record.completed(valid, upgrade.view()));
  await notifier.ended();
  return upgrade.view();
}

/** How many times the upgrade looks for nodes that joined during it (each time a final batch). */
const JOIN_ROUNDS = 3;

/** Validation, the cluster's lock, the plan and the pre-flight gate. */
async function checks(
  upgrade: Upgrade,
  request: UpgradeRequest,
  options: UpgradeOptions,
  record: RecordWriter,
): Promise<ValidatedUpgrade> {
  const valid = await quick.validateUpgrade(request);
  upgrade.validated(valid);
  await record.acquire(valid);
  const plan = await preflight.planUpgrade({
    cluster: valid.cluster,
    fromVersion: valid.fromVersion,
    toVersion: valid.toVersion,
    options,
  });
  upgrade.planned(plan);
  await preflightGate(upgrade, valid.cluster, options);
  return valid;
}

/**
 * The versions every node runs at the end (a node that joined after the last round shows as pending:
 * the record then says the upgrade is partial); a failed read is noted, not fatal, and a cancellation
 * is left to the caller (it has set the abort).
 */
async function readVersions(upgrade: Upgrade, cluster: string): Promise<void> {
  try {
    const states = await quick.nodeStates(cluster);
    upgrade.joined(states);
    upgrade.versionsSeen(states);
  } catch (err) {
    if (isCancellation(err)) return;
    upgrade.error(`could not read the final node versions: ${(err as Error).message}`);
  }
}
