/**
 * `nodeUpgrade`: one node, cordon → drain → replace → Ready at the new version → uncordon; by surge
 * (maxSurge), new node registered and Ready → cordon → drain → old node retired. The node's prior
 * state is recorded before anything is touched and restored on abort or failure (saga), so the node
 * is never left cordoned without the status saying so. A cancellation of this workflow (or of the
 * upgrade) is an abort. A node whose replacement failed is never uncordoned (./replace.ts); a node
 * deleted while it waits or is drained (an autoscaler) is reported gone, not failed.
 */
import { CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import { Failure } from '../../model/errors.js';
import { NodeStory } from '../notify/node-events.js';
import type { NodeSnapshot } from '../../model/kube.js';
import { surgeSnapshot } from '../../model/surge.js';
import { sameVersion } from '../../model/versions.js';
import { Aborted } from '../aborted.js';
import { failureType, rootCause } from '../cause.js';
import { long, steps } from './activities.js';
import { drain } from './drain.js';
import { Orders } from './orders.js';
import { afterPutBack, putBackNode } from './put-back.js';
import { replace } from './replace.js';
import { Reporter } from './report.js';
import { smokeSaid, smokeTest } from './smoke.js';
import { surge } from './surge.js';
import type { NodeOutcome, NodeResult, NodeUpgradeInput } from './types.js';

export type { NodeOutcome, NodeResult, NodeUpgradeInput } from './types.js';

export async function nodeUpgrade(input: NodeUpgradeInput): Promise<NodeResult> {
  const orders = new Orders();
  const reporter = new Reporter(input.node, workflowInfo().parent?.workflowId ?? input.upgradeId);
  const outcome = await upgrade(input, orders, reporter);
  return { outcome, report: reporter.last };
}

const gone = (err: unknown) => failureType(err) === Failure.NodeNotFound;

async function reportGone(reporter: Reporter): Promise<'gone'> {
  await reporter.report({
    step: 'gone',
    cordoned: false,
    blocked: [],
    detail: 'deleted from the cluster during the upgrade',
  });
  return 'gone';
}

async function upgrade(input: NodeUpgradeInput, orders: Orders, reporter: Reporter): Promise<NodeOutcome> {
  const { cluster, node, toVersion, upgradeId } = input;
  if (orders.aborted) return 'aborted';
  const story = new NodeStory(input); // the node's Events
  let snapshot: NodeSnapshot;
  try {
    const read = await steps.snapshotNode({ cluster, node });
    snapshot = read.snapshot;
    story.fromVersion = read.state.kubeletVersion;
    // Already there and Ready: nothing to replace. A cordon an earlier upgrade left is undone (restore
    // undoes only what an upgrade recorded on the node: an operator's cordon stays).
    if (sameVersion(read.state.kubeletVersion, toVersion) && read.state.ready) {
      const kept = read.state.unschedulable ? await putBackNode(cluster, snapshot) : undefined;
      await reporter.report({
        step: 'done',
        version: read.state.kubeletVersion,
        ...afterPutBack(snapshot, kept, 'already at the target version'),
      });
      return 'already-upgraded';
    }
  } catch (err) {
    if (gone(err)) return await reportGone(reporter);
    if (orders.aborted || isCancellation(err)) return 'aborted';
    throw err;
  }

  // Surge: the new node first, Ready and schedulable, so the old one's pods have somewhere to go.
  let surged: string | undefined;
  const stays = () => (surged ? `; the new node ${surged} stays` : '');
  if (input.surge) {
    await story.tell('Replacing', `registering a new node at ${toVersion} to take its place (maxSurge)`);
    try {
      await surge(input, snapshot, reporter, (name) => (surged = name));
    } catch (err) {
      // Aborted or cancelled while the new node registers: the old one was not touched yet, and the
      // new one (registered cordoned, no pods yet) is removed again, whether or not it got that far.
      if (orders.aborted || isCancellation(err)) return await undoSurge(input, snapshot, reporter);
      await reporter.report({
        step: 'failed',
        cordoned: snapshot.unschedulable,
        detail: `${rootCause(err)}${stays()}`,
      });
      throw err;
    }
    if (orders.aborted) {
      await reporter.report({
        step: 'restored',
        cordoned: snapshot.unschedulable,
        detail: `aborted before the drain${stays()}`,
      });
      return 'aborted';
    }
  }

  // The drain's first report says the node is cordoned; the last one that it is done.
  reporter.cordon();
  try {
    await steps.cordonNode({ cluster, node, upgradeId });
    await story.tell('Cordoned', 'cordoned for the upgrade');
    if ((await drain(input, orders, reporter, story)) === 'skipped') {
      const kept = await putBackNode(cluster, snapshot);
      await story.restored(`skipped by the operator: left at its old version${stays()}`, kept);
      await reporter.report({
        step: 'skipped',
        blocked: [],
        ...afterPutBack(snapshot, kept, `skipped by the operator: left at its old version${stays()}`),
      });
      return 'skipped';
    }
    // Last safe point: once replacement starts it runs to the end (a half-replaced node helps nobody).
    if (orders.aborted) throw new Aborted();
    if (surged) {
      await reporter.report({
        step: 'retire',
        podsLeft: 0,
        blocked: [],
        detail: `removing it: ${surged} took its place`,
      });
      await long(input.options.nodeReadyTimeoutSeconds).retireNode({ cluster, node });
      await story.tell('Replaced', `replaced by ${surged}, Ready at ${toVersion}; this node is removed`);
      const checked = await smokeTest(input, surged, orders, reporter, { cordoned: false, version: toVersion });
      await reporter.report({
        step: 'done',
        cordoned: false,
        version: toVersion,
        replacedBy: surged,
        detail: `replaced by ${surged}; ${smokeSaid(checked)}`,
        ...(checked !== 'gone' ? { smoke: checked } : {}),
      });
      return 'upgraded';
    }
    await steps.snapshotNode({ cluster, node }); // still there? (a node deleted meanwhile is not registered again)
    if (orders.aborted) throw new Aborted(); // the abort came during that read
  } catch (err) {
    return await compensate(err, cluster, snapshot, orders, reporter, stays(), story);
  }
  return await replaced(input, snapshot, orders, reporter, story);
}

/** Replacement, then uncordon; a failed replacement keeps the node cordoned whatever comes next. */
async function replaced(
  input: NodeUpgradeInput,
  snapshot: NodeSnapshot,
  orders: Orders,
  reporter: Reporter,
  story: NodeStory,
): Promise<NodeOutcome> {
  const result = await replace(input, snapshot, orders, reporter, story);
  if (result.outcome !== 'replaced') {
    const skipped = result.outcome === 'skipped';
    await reporter.report({
      step: skipped ? 'skipped' : 'failed',
      cordoned: true,
      leftCordoned: true,
      detail: `${skipped ? 'skipped by the operator' : 'aborted'} after its replacement failed; LEFT CORDONED (version unknown): ${result.reason}`,
    });
    return result.outcome;
  }
  const back = await putBackOrSay(input.cluster, snapshot, reporter, 'could not uncordon the node');
  if (back === 'gone') return 'gone';
  await story.putBack(snapshot.unschedulable, back.kept, `upgraded to ${result.version}`);
  // Can it run a pod? Asked of a node that takes pods again (a cordon kept, or an operator's, stays).
  const schedulable = !back.kept && !snapshot.unschedulable;
  const now = { cordoned: false, version: result.version };
  const checked = schedulable ? await smokeTest(input, input.node, orders, reporter, now) : undefined;
  if (checked === 'gone') return await reportGone(reporter);
  await reporter.report({
    step: 'done',
    version: result.version,
    ...afterPutBack(snapshot, back.kept, smokeSaid(checked)),
    ...(checked ? { smoke: checked } : {}),
  });
  return 'upgraded';
}

/**
 * Puts the node back; returns 'gone' (reported) when it no longer exists. When it cannot be put back
 * the node is reported failed and left cordoned (`failing` says what could not be done) and the error
 * goes on.
 */
async function putBackOrSay(
  cluster: string,
  snapshot: NodeSnapshot,
  reporter: Reporter,
  failing: string,
): Promise<{ kept?: string } | 'gone'> {
  try {
    return { kept: await putBackNode(cluster, snapshot) };
  } catch (err) {
    if (gone(err)) return await reportGone(reporter);
    await reporter.report({
      step: 'failed',
      cordoned: true,
      leftCordoned: true,
      detail: `${failing}: ${rootCause(err)}`,
    });
    throw err;
  }
}

/** Before replacement: put the node back as it was (saga), then say why. */
async function compensate(
  err: unknown,
  cluster: string,
  snapshot: NodeSnapshot,
  orders: Orders,
  reporter: Reporter,
  stays: string,
  story: NodeStory,
): Promise<NodeOutcome> {
  if (gone(err)) return await reportGone(reporter);
  const back = await putBackOrSay(cluster, snapshot, reporter, 'could not restore the node');
  if (back === 'gone') return 'gone';
  const { kept } = back;
  // An abort, or a cancellation of this workflow or the upgrade (which Orders turns into an abort).
  const aborted = err instanceof Aborted || orders.aborted || isCancellation(err);
  await story.restored(
    aborted ? `aborted: restored to its prior state${stays}` : `failed: ${rootCause(err)}`,
    kept,
    !aborted,
  );
  if (aborted) {
    await reporter.report({
      step: 'restored',
      blocked: [],
      ...afterPutBack(snapshot, kept, `aborted: restored to its prior state${stays}`),
    });
    return 'aborted';
  }
  await reporter.report({
    step: 'failed',
    blocked: [],
    ...afterPutBack(snapshot, kept, rootCause(err)), // the activity's own reason, not "Activity task failed"
  });
  throw err;
}

/** An abort during the surge: the new node goes (it holds no pods), the old one stays as it was. */
async function undoSurge(input: NodeUpgradeInput, snapshot: NodeSnapshot, reporter: Reporter): Promise<NodeOutcome> {
  const fresh = surgeSnapshot(snapshot, input.toVersion).name;
  try {
    await CancellationScope.nonCancellable(() =>
      long(input.options.nodeReadyTimeoutSeconds).retireNode({ cluster: input.cluster, node: fresh }),
    );
  } catch (err) {
    await reporter.report({
      step: 'restored',
      cordoned: snapshot.unschedulable,
      detail: `aborted during the surge; could not remove the new node ${fresh}: ${rootCause(err)}`,
    });
    return 'aborted';
  }
  await reporter.report({
    step: 'restored',
    cordoned: snapshot.unschedulable,
    detail: `aborted during the surge: the new node ${fresh} removed`,
  });
  return 'aborted';
}
