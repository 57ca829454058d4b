/**
 * `recover <cluster>`: after an upgrade ended without putting its nodes back (terminated, its worker
 * lost, a failure), restores the nodes that carry its record (only what it changed), prints every
 * node's version, and leaves the cluster's record in a state a new upgrade starts from. Refused while
 * an upgrade of the cluster runs. The worker does the work (workflows/upgrade-plan/recover.ts).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { loadCatalogue } from '../../activities/catalogue/load.js';
import { DEFAULT_TASK_QUEUE } from '../../config/temporal.js';
import type { Catalogue } from '../../model/catalogue.js';
import type { Recovery } from '../../model/recovery.js';
import { cliContext } from '../context.js';
import { table } from '../table.js';
import { ask, clusterRecords, latestUpgradeId, upgradeId } from '../upgrades.js';

async function running(c: Client, id: string): Promise<boolean> {
  try {
    return (await c.workflow.getHandle(id).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Checks that no upgrade of the cluster runs — the one its record names, `upgrade-<cluster>`, the
 * latest Temporal lists — then has a worker recover it from the record as read before that check: the
 * worker takes the cluster's lock (refused while an upgrade holds it) and refuses a record changed
 * since; throws naming a running upgrade.
 */
export async function recoverCluster(
  c: Client,
  cluster: string,
  taskQueue = DEFAULT_TASK_QUEUE,
  catalogue: Catalogue = loadCatalogue(),
): Promise<Recovery> {
  const [record] = await clusterRecords(c, catalogue, [cluster], taskQueue);
  if (!record) throw new Error(`no record of cluster ${cluster} came back from Temporal`);
  const name = record.cluster;
  const ids = new Set([record.workflow_id, upgradeId(name), await latestUpgradeId(c, name)]);
  for (const id of ids) {
    if (id && (await running(c, id))) {
      throw new Error(
        `an upgrade of cluster ${name} is running (workflow ${id}): recover is for an upgrade that ended; ` +
          '`abort` it (or let it finish) first',
      );
    }
  }
  return await ask<Recovery>(c, taskQueue, 'recoverCluster', `recover-${name}`, [
    { cluster: name, upgradeId: record.workflow_id ?? null, status: record.status, updatedAt: record.updated_at },
  ]);
}

/** What recover did, as the CLI prints it. */
export function recoveryReport(r: Recovery): string {
  const lines = [
    table(
      ['node', 'role', 'version', 'ready', 'cordoned', 'recover'],
      r.nodes.map((n) => [
        n.name,
        n.role,
        n.version,
        n.ready ? 'yes' : 'NO',
        n.unschedulable ? 'yes' : '',
        n.action === 'untouched' ? '' : `${n.action}${n.detail ? `: ${n.detail}` : ''}`,
      ]),
    ),
  ];
  if (!r.recorded) {
    lines.push(`nothing to recover: no node carries an upgrade's record, and ${r.cluster} is ${r.record.status}`);
    return lines.join('\n');
  }
  lines.push(`${r.cluster}: ${r.before.status} → ${r.record.status}, template ${r.record.template}`);
  lines.push(`status_reason: ${r.record.status_reason}`);
  const kept = r.nodes.filter((n) => n.action === 'kept');
  if (kept.length > 0) {
    lines.push(
      `warning: left as they are (look at them; a new upgrade takes them over): ${kept.map((n) => n.name).join(', ')}`,
    );
  }
  return lines.join('\n');
}

export function recoverCommand(program: Command): void {
  const cli = cliContext(program);
  program
    .command('recover')
    .description(
      "after an upgrade ended without putting its nodes back (terminated, worker lost, failed): restore the nodes it left, show each node's version, make the cluster startable again",
    )
    .argument('<cluster>')
    .action(async (cluster: string) => {
      const r = await recoverCluster(await cli.client(), cli.clusterName(cluster), cli.taskQueue(), cli.catalogue());
      console.log(recoveryReport(r));
    });
}
