/**
 * The cluster's record (what `status` shows when no upgrade runs, like `openstack coe cluster show`),
 * written at each turn of the upgrade: started, paused, resumed and how it ended.
 */
import type { Baseline } from '../../model/baseline.js';
import type { ClusterRecord } from '../../model/record.js';
import type { UpgradeStatus } from '../../model/status.js';
import type { ValidatedUpgrade } from '../../model/upgrade.js';
import { sameVersion } from '../../model/versions.js';
import { quick } from './activities.js';

type Patch = Partial<Omit<ClusterRecord, 'cluster' | 'updated_at'>>;

export class RecordWriter {
  constructor(
    private readonly cluster: string,
    private readonly workflowId: string,
  ) {}

  private async write(patch: Patch): Promise<void> {
    await quick.recordStatus({ cluster: this.cluster, patch: { workflow_id: this.workflowId, ...patch } });
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
    await this.write({
      status: 'UPDATE_ABORTED',
      status_reason: `aborted by the operator; nodes: ${versions(status)}`,
      ...traces(status),
    });
  }

  async failed(message: string, status: UpgradeStatus): Promise<void> {
    await this.write({
      status: 'UPDATE_FAILED',
      status_reason: `${message}; nodes: ${versions(status)}`,
      ...traces(status),
    });
  }

  /** Nodes skipped by the operator still run the old version: the cluster then keeps its old template. */
  async completed(valid: ValidatedUpgrade, status: UpgradeStatus): Promise<void> {
    const behind = status.nodes.filter((n) => n.step !== 'gone' && !sameVersion(n.version, valid.toVersion));
    await this.write(
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
