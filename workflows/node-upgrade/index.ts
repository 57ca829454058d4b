/**
 * `nodeUpgrade`: one node, cordon → drain → replace → Ready at the new version → uncordon; by surge
 * (maxSurge), new node registered and Ready → cordon → drain → old node retired. The node's prior
 * state is recorded before anything is touched and restored on abort or failure (saga), so the node
 * is never left cordoned without the status saying so.
 */
import { workflowInfo } from '@temporalio/workflow';
import { sameVersion } from '../../model/versions.js';
import { Aborted } from '../aborted.js';
import { rootCause } from '../cause.js';
import { long, steps } from './activities.js';
import { drain } from './drain.js';
import { Orders } from './orders.js';
import { putBackNode } from './put-back.js';
import { Reporter } from './report.js';
import { surge } from './surge.js';
import type { NodeOutcome, NodeResult, NodeUpgradeInput } from './types.js';

export type { NodeOutcome, NodeResult, NodeUpgradeInput } from './types.js';

export async function nodeUpgrade(input: NodeUpgradeInput): Promise<NodeResult> {
  const orders = new Orders();
  const reporter = new Reporter(input.node, workflowInfo().parent?.workflowId ?? input.upgradeId);
  const outcome = await upgrade(input, orders, reporter);
  return { outcome, report: reporter.last };
}

async function upgrade(input: NodeUpgradeInput, orders: Orders, reporter: Reporter): Promise<NodeOutcome> {
  const { cluster, node, toVersion, upgradeId, options } = input;
  if (orders.aborted) return 'aborted';
  const { snapshot, state } = await steps.snapshotNode({ cluster, node });
  if (sameVersion(state.kubeletVersion, toVersion) && !state.unschedulable) {
    await reporter.report({
      step: 'done',
      version: state.kubeletVersion,
      cordoned: false,
      detail: 'already at the target version',
    });
    return 'already-upgraded';
  }

  // Surge: the new node first, Ready and schedulable, so the old one's pods have somewhere to go.
  let surged: string | undefined;
  const stays = () => (surged ? `; the new node ${surged} stays` : '');
  if (input.surge) {
    try {
      await surge(input, snapshot, reporter, (name) => (surged = name));
    } catch (err) {
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
    if ((await drain(input, orders, reporter)) === 'skipped') {
      await putBackNode(cluster, snapshot);
      await reporter.report({
        step: 'skipped',
        cordoned: snapshot.unschedulable,
        blocked: [],
        detail: `skipped by the operator: left at its old version${stays()}`,
      });
      return 'skipped';
    }
    // Last safe point: once replacement starts it runs to the end (a half-replaced node helps nobody).
    if (orders.aborted) throw new Aborted();
    const activities = long(options.nodeReadyTimeoutSeconds);
    if (surged) {
      await reporter.report({
        step: 'retire',
        podsLeft: 0,
        blocked: [],
        detail: `removing it: ${surged} took its place`,
      });
      await activities.retireNode({ cluster, node });
      await reporter.report({
        step: 'done',
        cordoned: false,
        version: toVersion,
        replacedBy: surged,
        detail: `replaced by ${surged}`,
      });
      return 'upgraded';
    }
    await reporter.report({ step: 'replace', podsLeft: 0, blocked: [], detail: `replacing with ${toVersion}` });
    await activities.replaceNode({ cluster, snapshot, targetVersion: toVersion, upgradeId });
    await reporter.report({ step: 'wait-ready' });
    const ready = await activities.waitNodeReady({
      cluster,
      node,
      targetVersion: toVersion,
      timeoutSeconds: options.nodeReadyTimeoutSeconds,
    });
    await putBackNode(cluster, snapshot);
    await reporter.report({ step: 'done', cordoned: snapshot.unschedulable, version: ready.version, detail: '' });
    return 'upgraded';
  } catch (err) {
    try {
      await putBackNode(cluster, snapshot);
    } catch (restoreErr) {
      await reporter.report({
        step: 'failed',
        cordoned: true,
        detail: `could not restore the node: ${rootCause(restoreErr)}`,
      });
      throw restoreErr;
    }
    if (err instanceof Aborted) {
      await reporter.report({
        step: 'restored',
        cordoned: snapshot.unschedulable,
        blocked: [],
        detail: `aborted: restored to its prior state${stays()}`,
      });
      return 'aborted';
    }
    await reporter.report({
      step: 'failed',
      cordoned: snapshot.unschedulable,
      blocked: [],
      detail: rootCause(err), // the activity's own reason, not "Activity task failed"
    });
    throw err;
  }
}
