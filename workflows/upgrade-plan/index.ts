/**
 * The CLI's read-only questions, answered on the worker (where the catalogue and the kubeconfigs
 * are), so the CLI needs nothing but Temporal: may this cluster move to that template (`upgradeCheck`,
 * against the record and lock its entity holds) and what would the upgrade do (`upgradePlan`). Each is
 * a few activities long and changes nothing. The CLI reads the records from the clusters' entities
 * itself (workflows/cluster/). `recoverCluster` (./recover.ts) is the one that changes something: it
 * puts back what an ended upgrade left.
 */
import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { acceptanceOf } from '../../model/baseline.js';
import type { GateResult } from '../../model/kube.js';
import type { UpgradePlan, UpgradeRequest, ValidatedUpgrade } from '../../model/upgrade.js';
import { checkRequest } from '../input.js';
import { autoUpgrade } from '../versioning.js';

export { recoverCluster } from './recover.js';

// Someone waits at a terminal: a few quick attempts, then the failure is theirs to read — well within
// the CLI's wait (client/upgrades.ts), so an activity's own error reaches them, not a timeout.
const act = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '90 seconds',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 3 },
});

/** Checks the move against the catalogue and the cluster's record (input as `rollingUpgrade`'s). */
export async function upgradeCheck(input: UpgradeRequest): Promise<ValidatedUpgrade> {
  return await act.validateUpgrade(checkRequest(input).request);
}

/**
 * The move checked, then the pre-flight report: node order, budgets' headroom, warnings, estimate; and
 * the pre-flight's health read (`health`): what is already unhealthy, by key, and what
 * `acceptUnhealthy` would accept (the baseline the upgrade would start with).
 */
export async function upgradePlan(
  input: UpgradeRequest,
): Promise<{ validated: ValidatedUpgrade; plan: UpgradePlan; health: GateResult }> {
  const { request, options } = checkRequest(input);
  const validated = await act.validateUpgrade(request);
  const plan = await act.planUpgrade({
    cluster: validated.cluster,
    fromVersion: validated.fromVersion,
    toVersion: validated.toVersion,
    options,
  });
  // As the pre-flight reads it, for a few seconds rather than its 60 (someone waits at a terminal).
  const health = await act.healthGate({
    cluster: validated.cluster,
    timeoutSeconds: PLAN_HEALTH_SECONDS,
    probes: options.probes,
    accept: acceptanceOf(options.acceptUnhealthy),
  });
  return { validated, plan, health };
}

/** How long the plan's health read waits for the cluster to become healthy. */
const PLAN_HEALTH_SECONDS = 10;

// Seconds long and read-only: on a versioned worker they follow the current build rather than keep an
// old one from draining (README, Worker versioning). The upgrade and its node children stay PINNED.
setWorkflowOptions(autoUpgrade, upgradeCheck);
setWorkflowOptions(autoUpgrade, upgradePlan);
