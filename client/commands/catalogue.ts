/**
 * `templates`, `clusters`, `validate`: the catalogue, with the clusters' records (read from their
 * entities in Temporal) and the check of a move answered by a worker.
 */
import type { Command } from 'commander';
import { cliContext } from '../context.js';
import { table } from '../table.js';
import { checkUpgrade, clusterRecords } from '../upgrades.js';

export function catalogueCommands(program: Command): void {
  const cli = cliContext(program);
  program
    .command('templates')
    .description('list the cluster templates (like `openstack coe cluster template list`)')
    .action(() => {
      const { templates } = cli.catalogue();
      console.log(
        table(
          ['uuid', 'name', 'kube_tag'],
          templates.map((t) => [t.uuid, t.name, t.labels.kube_tag ?? '']),
        ),
      );
    });

  program
    .command('clusters')
    .description('list the clusters (like `openstack coe cluster list`)')
    .action(async () => {
      const catalogue = cli.catalogue();
      const { clusters } = catalogue;
      const records = await clusterRecords(
        await cli.client(),
        catalogue,
        clusters.map((c) => c.name),
        cli.taskQueue(),
      );
      console.log(
        table(
          ['uuid', 'name', 'keypair', 'node_count', 'master_count', 'status', 'coe_version', 'template'],
          clusters.map((c, i) => {
            const r = records[i];
            return [
              c.uuid,
              c.name,
              c.keypair ?? '',
              c.node_count ?? '',
              c.master_count ?? '',
              r?.status ?? '',
              r?.coe_version ?? '',
              r?.template ?? '',
            ];
          }),
        ),
      );
    });

  program
    .command('validate')
    .description('check that <cluster> may be upgraded to <template> (label keys, version skew, cluster state)')
    .argument('<cluster>', 'cluster name or uuid')
    .argument('<template>', 'target cluster template name or uuid')
    .option('--allow-skew', 'allow more than one minor version at once (breaks the Kubernetes skew policy)')
    .action(async (cluster: string, template: string, opts: { allowSkew?: boolean }) => {
      const v = await checkUpgrade(
        await cli.client(),
        { cluster, template, allowSkew: opts.allowSkew },
        cli.taskQueue(),
      );
      console.log(
        `ok: ${v.cluster} can move from ${v.fromTemplate} (${v.fromVersion}) to ${v.toTemplate} (${v.toVersion})`,
      );
    });
}
