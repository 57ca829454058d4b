/** `templates`, `clusters`, `validate`: read the catalogue and check a move, without Temporal. */
import type { Command } from 'commander';
import { loadCatalogue } from '../../activities/catalogue/load.js';
import { readRecord } from '../../activities/record/store.js';
import { validate } from '../../activities/templates.js';
import { table } from '../table.js';

export function catalogueCommands(program: Command): void {
  program
    .command('templates')
    .description('list the cluster templates (like `openstack coe cluster template list`)')
    .action(() => {
      const { templates } = loadCatalogue();
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
    .action(() => {
      const catalogue = loadCatalogue();
      console.log(
        table(
          ['uuid', 'name', 'keypair', 'node_count', 'master_count', 'status', 'coe_version', 'template'],
          catalogue.clusters.map((c) => {
            const r = readRecord(catalogue, c);
            return [
              c.uuid,
              c.name,
              c.keypair ?? '',
              c.node_count ?? '',
              c.master_count ?? '',
              r.status,
              r.coe_version,
              r.template,
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
    .action((cluster: string, template: string, opts: { allowSkew?: boolean }) => {
      const v = validate({ cluster, template, allowSkew: opts.allowSkew });
      console.log(
        `ok: ${v.cluster} can move from ${v.fromTemplate} (${v.fromVersion}) to ${v.toTemplate} (${v.toVersion})`,
      );
    });
}
