/**
 * `nodeUpgrade`: one node, cordon → drain → replace → Ready at the new version → uncordon; by surge
 * (maxSurge), new node registered and Ready → cordon → drain → old node retired. Its prior
 * state is recorded before anything is touched; on abort or failure it is restored (saga), so the
 * node is never left cordoned without the status saying so. A drain that outlives its timeout parks
 * the node until the operator decides (retry, force, skip) or aborts: never a silent force.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DrainResult, NodeSnapshot } from '../model/kube.js';
import type { DrainDecision, NodeReport } from '../model/status.js';
import type { UpgradeOptions } from '../model/upgrade.js';
import { surgeSnapshot } from '../model/surge.js';
import { sameVersion } from '../model/versions.js';
import { abortNode, DESCRIPTIONS, drainDecision, nodeProgress } from './control.js';
import { FINISHED } from './progress.js';
import { Failure } from '../model/errors.js';

export interface NodeUpgradeInput {
  cluster: string;
  node: string;
  toVersion: string;
  /** the parent's workflow id: names the upgrade on the node and receives progress */
  upgradeId: string;
  options: UpgradeOptions;
  /** replace by surge: a new node first, then drain and retire this one */
  surge?: boolean;
}

export type NodeOutcome = 'upgraded' | 'already-upgraded' | 'skipped' | 'aborted';

/**
 * What a child returns: its outcome and its last report, which the parent applies as it learns the
 * outcome (no signal and no workflow task of its own). A failure still reports by signal before the
 * error. (Children recorded before this returned the outcome alone, after a signal.)
 */
export interface NodeResult {
  outcome: NodeOutcome;
  report?: NodeReport;
}

const QUICK = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
} as const;
/** Putting a node back is retried until it works (an API outage must not leave it cordoned). */
const COMPENSATE = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    nonRetryableErrorTypes: [Failure.Forbidden, Failure.NodeNotFound],
  },
};
const quick = proxyActivities<Activities>(QUICK);
const compensate = proxyActivities<Activities>(COMPENSATE);

// Reading, cordoning and restoring a node are single quick API calls: as local activities they run in
// the worker within the workflow task, without a round trip to the server each. (Histories recorded
// before this ran them as ordinary activities.)
const quickLocal = proxyLocalActivities<Activities>(QUICK);
const compensateLocal = proxyLocalActivities<Activities>(COMPENSATE);

/** Raised inside the workflow only; never escapes it. */
class Aborted extends Error {}

/** Whether the last report rides in the result (patched 'report-in-result'), and that report. */
interface LastReport {
  inResult?: boolean;
  report?: NodeReport;
}

export async function nodeUpgrade(input: NodeUpgradeInput): Promise<NodeOutcome | NodeResult> {
  const last: LastReport = {};
  const outcome = await upgrade(input, last);
  return last.inResult ? { outcome, report: last.report } : outcome;
}

async function upgrade(input: NodeUpgradeInput, last: LastReport) {
  const { cluster, node, toVersion, upgradeId, options } = input;
  let aborted = false;
  let decision: DrainDecision | undefined;
  let drainScope: CancellationScope | undefined;
  setHandler(
    abortNode,
    () => {
      aborted = true;
      drainScope?.cancel();
    },
    { description: DESCRIPTIONS.abortNode },
  );
  setHandler(
    drainDecision,
    (d) => {
      decision = d;
    },
    { description: DESCRIPTIONS.drainDecision },
  );

  const parent = getExternalWorkflowHandle(workflowInfo().parent?.workflowId ?? upgradeId);
  // Progress reports ride along with the next command instead of costing a round trip each; the last
  // one is awaited, so the parent has it before it learns that this child ended. (Histories recorded
  // before this waited for every report.)
  const unawaited = patched('unawaited-progress');
  let seq = 0;
  // Every report says whether the node is cordoned: the parent drops a report overtaken by a newer
  // one, and the newer one must not lose what the older said (a cordon followed at once by a drain).
  let cordoned = false;
  last.inResult = patched('report-in-result');
  const report = async (r: Omit<NodeReport, 'name'>) => {
    if (r.cordoned !== undefined) cordoned = r.cordoned;
    const full = { name: node, ...r, cordoned, ...(unawaited ? { seq: ++seq } : {}) };
    const final = r.step !== undefined && FINISHED.has(r.step);
    if (last.inResult && final && r.step !== 'failed') {
      last.report = full; // returned with the outcome
      return;
    }
    const sent = parent.signal(nodeProgress, full);
    if (unawaited && !final) {
      sent.catch(() => undefined); // the parent is gone: nothing to tell it
      return;
    }
    await sent;
  };
  const long = (seconds: number) =>
    proxyActivities<Activities>({
      startToCloseTimeout: `${seconds + 3600}s`, // heartbeats detect a dead worker long before this
      heartbeatTimeout: '10s',
      retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
      // An aborted drain stops evicting before the node is uncordoned.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });

  const local = patched('local-node-steps');
  const steps = local ? quickLocal : quick;
  const putBack = local ? compensateLocal : compensate;

  if (aborted) return 'aborted';
  const { snapshot, state } = await steps.snapshotNode({ cluster, node });
  if (sameVersion(state.kubeletVersion, toVersion) && !state.unschedulable) {
    await report({
      step: 'done',
      version: state.kubeletVersion,
      cordoned: false,
      detail: 'already at the target version',
    });
    return 'already-upgraded';
  }

  const restore = async (s: NodeSnapshot) => {
    await CancellationScope.nonCancellable(() => putBack.restoreNode({ cluster, snapshot: s }));
  };

  // Surge: the new node first, Ready and schedulable, so the old one's pods have somewhere to go.
  let surged: string | undefined;
  const stays = () => (surged ? `; the new node ${surged} stays` : '');
  if (input.surge) {
    try {
      await report({ step: 'surge', detail: `registering a new node at ${toVersion}` });
      const fresh = surgeSnapshot(snapshot, toVersion);
      await long(options.nodeReadyTimeoutSeconds).surgeNode({ cluster, snapshot, targetVersion: toVersion, upgradeId });
      surged = fresh.name;
      await report({ step: 'surge', detail: `waiting for the new node ${fresh.name} to be Ready` });
      await long(options.nodeReadyTimeoutSeconds).waitNodeReady({
        cluster,
        node: fresh.name,
        targetVersion: toVersion,
        timeoutSeconds: options.nodeReadyTimeoutSeconds,
      });
      await restore(fresh); // uncordoned: schedulable like the node it replaces
    } catch (err) {
      await report({ step: 'failed', cordoned: snapshot.unschedulable, detail: `${(err as Error).message}${stays()}` });
      throw err;
    }
    if (aborted) {
      await report({
        step: 'restored',
        cordoned: snapshot.unschedulable,
        detail: `aborted before the drain${stays()}`,
      });
      return 'aborted';
    }
  }

  // One report per step an operator can wait on: cordoning and uncordoning are single API calls, so
  // the drain's report says the node is cordoned and the last one that it is done. Each report costs
  // both workflows a workflow task. (Histories recorded before this reported those steps too.)
  const fewer = patched('fewer-reports');
  if (!fewer) await report({ step: 'cordon', cordoned: true });
  else cordoned = true;
  try {
    await steps.cordonNode({ cluster, node, upgradeId });
    let timeout = options.drainTimeoutSeconds;
    let deletePods = false;
    let forced = false; // the operator chose forceDrain: unmanaged and emptyDir pods go too
    for (;;) {
      if (aborted) throw new Aborted();
      await report({ step: 'drain', blocked: [], detail: deletePods ? 'deleting pods (forced)' : 'evicting pods' });
      const deadline = Date.now() + timeout * 1000;
      let result: DrainResult;
      try {
        drainScope = new CancellationScope();
        if (aborted) throw new Aborted(); // the abort came while reporting
        result = await drainScope.run(() =>
          long(timeout).drainNode({
            cluster,
            node,
            deadline,
            deleteEmptyDirData: options.deleteEmptyDirData || forced,
            force: options.force || forced,
            gracePeriodSeconds: options.gracePeriodSeconds,
            deletePods,
          }),
        );
      } catch (err) {
        // Cancelled (or failed while being cancelled) because of an abort: compensate as an abort.
        if (aborted) throw new Aborted();
        throw err;
      } finally {
        drainScope = undefined;
      }
      if (result.drained) break;
      // The timeout policy applies to a drain that timed out, not to pods refused at once (unmanaged,
      // emptyDir): those always wait for the operator.
      if (result.timedOut && options.onDrainTimeout === 'force' && !deletePods) {
        deletePods = true;
        continue;
      }
      if (result.timedOut && options.onDrainTimeout === 'abort') throw new Aborted();
      decision = undefined;
      await report({
        step: 'blocked',
        podsLeft: result.podsLeft,
        blocked: result.blocked,
        detail: `drain blocked after ${timeout} s`,
      });
      await condition(() => decision !== undefined || aborted);
      if (aborted || !decision) throw new Aborted();
      const d: DrainDecision = decision;
      if (d.action === 'skip') {
        await restore(snapshot);
        await report({
          step: 'skipped',
          cordoned: snapshot.unschedulable,
          blocked: [],
          detail: `skipped by the operator: left at its old version${stays()}`,
        });
        return 'skipped';
      }
      if (d.action === 'force') deletePods = forced = true;
      timeout = d.timeoutSeconds ?? options.drainTimeoutSeconds;
    }
    // Last safe point: once replacement starts it runs to the end (a half-replaced node helps nobody).
    if (aborted) throw new Aborted();
    if (surged) {
      await report({ step: 'retire', podsLeft: 0, blocked: [], detail: `removing it: ${surged} took its place` });
      await long(options.nodeReadyTimeoutSeconds).retireNode({ cluster, node });
      await report({
        step: 'done',
        cordoned: false,
        version: toVersion,
        replacedBy: surged,
        detail: `replaced by ${surged}`,
      });
      return 'upgraded';
    }
    await report({ step: 'replace', podsLeft: 0, blocked: [], detail: `replacing with ${toVersion}` });
    await long(options.nodeReadyTimeoutSeconds).replaceNode({ cluster, snapshot, targetVersion: toVersion, upgradeId });
    await report({ step: 'wait-ready' });
    const ready = await long(options.nodeReadyTimeoutSeconds).waitNodeReady({
      cluster,
      node,
      targetVersion: toVersion,
      timeoutSeconds: options.nodeReadyTimeoutSeconds,
    });
    if (!fewer) await report({ step: 'uncordon', version: ready.version });
    await restore(snapshot);
    await report({ step: 'done', cordoned: snapshot.unschedulable, version: ready.version, detail: '' });
    return 'upgraded';
  } catch (err) {
    try {
      await restore(snapshot);
    } catch (restoreErr) {
      await report({
        step: 'failed',
        cordoned: true,
        detail: `could not restore the node: ${(restoreErr as Error).message}`,
      });
      throw restoreErr;
    }
    if (err instanceof Aborted) {
      await report({
        step: 'restored',
        cordoned: snapshot.unschedulable,
        detail: `aborted: restored to its prior state${stays()}`,
      });
      return 'aborted';
    }
    await report({
      step: 'failed',
      cordoned: snapshot.unschedulable,
      detail: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
}
