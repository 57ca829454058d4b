/**
 * The health gates: before anything is touched (a failure refuses the upgrade) and after each node or
 * batch (a failure pauses for the operator; `resume` runs the gate again).
 */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { unlessAborted } from './interrupt.js';
import { acceptanceOf, acceptHint, baselineOf } from '../../model/baseline.js';
import { Failure } from '../../model/errors.js';
import type { GateResult } from '../../model/kube.js';
import type { UpgradeOptions } from '../../model/upgrade.js';
import { gates } from './activities.js';
import type { Upgrade } from './state.js';
import { failedChecks } from './status.js';

/**
 * The pre-flight gate, at most 60 s: a cluster unhealthy before the upgrade is refused, naming each
 * problem and how to accept it. What the operator accepted (`acceptUnhealthy`) becomes the baseline.
 */
export async function preflightGate(upgrade: Upgrade, cluster: string, options: UpgradeOptions): Promise<void> {
  const result = await gates.healthGate({
    cluster,
    timeoutSeconds: Math.min(options.gateTimeoutSeconds, 60),
    probes: options.probes,
    accept: acceptanceOf(options.acceptUnhealthy),
  });
  const named = Array.isArray(options.acceptUnhealthy) ? options.acceptUnhealthy : [];
  if (upgrade.gated(result)) {
    upgrade.baselined(baselineOf(result), named);
    return;
  }
  const hint = acceptHint(result.problems ?? [], named);
  const then = hint ? `. ${hint.charAt(0).toUpperCase()}${hint.slice(1)}` : '';
  throw ApplicationFailure.nonRetryable(
    `cluster ${cluster} is unhealthy; refusing to start the upgrade: ${failedChecks(result)}${then}`,
    Failure.UnhealthyCluster,
    result,
  );
}

/**
 * After `what` (a node or batch): soak, then the gate, until it passes; a failure is told (`failed`:
 * webhooks, Node Events) and pauses at `safePoint`.
 */
export async function gateOrPause(
  upgrade: Upgrade,
  cluster: string,
  options: UpgradeOptions,
  what: string,
  safePoint: () => Promise<void>,
  failed?: (result: GateResult) => Promise<void>,
): Promise<void> {
  for (;;) {
    // An abort interrupts the soak and a running gate.
    if (options.soakSeconds > 0) await unlessAborted(upgrade, () => sleep(options.soakSeconds * 1000));
    const result = await unlessAborted(upgrade, () =>
      gates.healthGate({
        cluster,
        timeoutSeconds: options.gateTimeoutSeconds,
        upgradedNodes: upgrade.upgraded(),
        targetVersion: upgrade.toVersion,
        probes: options.probes,
        accept: { baseline: upgrade.baseline?.accepted ?? [] },
      }),
    );
    if (upgrade.gated(result)) return;
    upgrade.gateFailed(what);
    await failed?.(result);
    await safePoint();
  }
}
