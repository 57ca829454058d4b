/**
 * The cluster's record (what `status` shows when no upgrade runs, like `openstack coe cluster show`),
 * kept by the cluster's entity in Temporal (workflows/cluster/), and the upgrade lock it grants: taken
 * right after validation, before the plan and the pre-flight gate, so of two upgrades of one cluster
 * only one goes on; the record written at each turn (started, paused, resumed); the lock let go with
 * how the upgrade ended, whatever the ending (a terminate is found out by the entity).
 */
import type { Baseline } from '../../model/baseline.js';
import type { HolderRef, RecordPatch } from '../../model/lock.js';
import type { UpgradeStatus } from '../../model/status.js';
import type { ValidatedUpgrade } from '../../model/upgrade.js';
import { sameVersion } from '../../model/versions.js';
import { lasting, quick } from './activities.js';

type Patch = RecordPatch;

export class RecordWriter {
  private readonly holder: HolderRef;

  /** `held`: the lock is this upgrade's already (a run continued as new; the same id and run chain). */
  constructor(
    private readonly cluster: string,
    private readonly workflowId: string,
    runChain: string,
    private held = false,
  ) {
    this.holder = { workflowId, runChain };
  }

  /** Takes the cluster's lock (refused, naming the upgrade that holds it, while one runs). */
  async acquire(valid: ValidatedUpgrade): Promise<void> {
    await quick.acquireCluster({
      cluster: valid.cluster,
      holder: this.holder,
      purpose: 'upgrade',
      target: valid.toTemplate,
    });
    this.held = true;
  }

  /** Lets go of the lock without changing the record (an upgrade refused before it started). */
  async release(): Promise<void> {
    if (!this.held) return;
    await quick.releaseCluster({ cluster: this.cluster, holder: this.holder });
    this.held = false;
  }

  private async write(patch: Patch): Promise<void> {
    await quick.patchClusterRecord({
      cluster: this.cluster,
      holder: this.holder,
      patch: { workflow_id: this.workflowId, ...patch },
    });
  }

  /** The last write: the record says how the upgrade ended, and the lock is free. */
  private async end(patch: Patch): Promise<void> {
    await lasting.releaseCluster({
      cluster: this.cluster,
      holder: this.holder,
      patch: { workflow_id: this.workflowId, ...patch },
    });
    this.held = false;
  }

  /** `baseline`: what the pre-flight found unhealthy and the operator accepted (replaces the last upgrade's). */
  async started(valid: ValidatedUpgrade, baseline?: Baseline): Promise<void> {
    await this.write({
      status: 'UPDATE_IN_PROGRESS',
      status_reason: `upgrading to ${valid.toTemplate}`,
      target_template: valid.toTemplate,
      baseline: baseline ?? null,
    });
  }

  async paused(reason: string): Promise<void> {
    await this.write({ status: 'UPDATE_PAUSED', status_reason: reason });
  }

  async resumed(): Promise<void> {
    await this.write({ status: 'UPDATE_IN_PROGRESS', status_reason: 'resumed by the operator' });
  }

  async aborted(status: UpgradeStatus): Promise<void> {
    await this.end({
      status: 'UPDATE_ABORTED',
      status_reason: `aborted by the operator; nodes: ${versions(status)}`,
      ...traces(status),
    });
  }

  async failed(message: string, status: UpgradeStatus): Promise<void> {
    await this.end({
      status: 'UPDATE_FAILED',
      status_reason: `${message}; nodes: ${versions(status)}`,
      ...traces(status),
    });
  }

  /** Nodes skipped by the operator still run the old version: the cluster then keeps its old template. */
  async completed(valid: ValidatedUpgrade, status: UpgradeStatus): Promise<void> {
    const behind = status.nodes.filter((n) => n.step !== 'gone' && !sameVersion(n.version, valid.toVersion));
    await this.end(
      behind.length === 0
        ? {
            status: 'UPDATE_COMPLETE',
            status_reason: 'upgrade completed successfully',
            template: valid.toTemplate,
            coe_version: valid.toVersion,
            target_template: null,
            health_status: 'HEALTHY',
            ...traces(status),
          }
        : {
            status: 'UPDATE_COMPLETE',
            status_reason: `partial: ${behind.map((n) => `${n.name}=${n.version}`).join(', ')} not upgraded (skipped); nodes: ${versions(status)}`,
            health_status: 'HEALTHY',
            ...traces(status),
          },
    );
  }
}

/** What stays in the record after the upgrade: pods it deleted, nodes it left cordoned. */
function traces(status: UpgradeStatus): Patch {
  return {
    forced_deletions: status.forcedDeletions,
    left_cordoned: status.nodes.filter((n) => n.leftCordoned).map((n) => n.replacedBy ?? n.name),
  };
}

/** "a=v1.12.7, b → b-v1-12-7=v1.12.7, c=v1.11.9 (CORDONED)": which node runs which version. */
export function versions(status: UpgradeStatus): string {
  return status.nodes
    .map(
      (n) =>
        `${n.name}${n.replacedBy ? ` → ${n.replacedBy}` : ''}=${n.version}${n.cordoned ? ' (CORDONED)' : ''}${n.step === 'gone' ? ' (GONE)' : ''}`,
    )
    .join(', ');
}
