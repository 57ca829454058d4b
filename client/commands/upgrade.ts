/**
 * Commands that drive an upgrade on Temporal: start, plan, status, watch, pause, resume, abort and the
 * blocked-drain decisions. `start` mirrors `openstack coe cluster upgrade <cluster> <template>`.
 */
import type { Command } from 'commander';
import { findCluster, findTemplate } from '../../activities/catalogue/load.js';
import { baselineReport } from '../baseline.js';
import { blockedReport, clusterShow, nodeTable } from '../render.js';
import { table } from '../table.js';
import { cliContext } from '../context.js';
import { clusterStates, planUpgrade, queryStatus, runningUpgrade, startUpgrade } from '../upgrades.js';
import { watch } from '../watch.js';
import { checkRequest } from '../../workflows/input.js';
import { optionFlags, requestFrom, type StartFlags } from '../options.js';

export { requestFrom, type StartFlags };

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export function upgradeCommands(program: Command): void {
  const cli = cliContext(program);
  const start = program
    .command('start')
    .description('start a rolling upgrade of <cluster> to <template> (like `openstack coe cluster upgrade`)')
    .argument('<cluster>')
    .argument('<template>');
  for (const flag of optionFlags()) start.addOption(flag);
  start
    .option('--wait', 'watch the upgrade until it ends')
    .action(async (cluster: string, template: string, f: StartFlags) => {
      const request = requestFrom(cluster, template, f);
      checkRequest(request); // every option, before anything starts
      const c = await cli.client();
      const handle = await startUpgrade(c, request, cli.taskQueue()); // a worker checks the move first
      console.log(`started upgrade ${handle.workflowId} of ${cluster} to ${template}`);
      if (f.wait) {
        const s = await watch(c, cluster, process.stdout, handle.workflowId);
        if (s) console.log(nodeTable(s.nodes));
        if (s?.phase !== 'completed') process.exitCode = 1;
      }
    });

  const [acceptFlag] = optionFlags(['acceptUnhealthy']);
  if (!acceptFlag) throw new Error('the acceptUnhealthy option has no flag');
  program
    .command('plan')
    .description("dry run: node order, budgets' headroom, what will be interrupted, an estimate (touches nothing)")
    .argument('<cluster>')
    .argument('<template>')
    .option('--allow-skew', 'allow more than one minor version at once')
    .option('--max-unavailable <n>', 'workers upgraded at once: a count or a percentage like 10%', '1')
    .option('--max-surge <n>', 'replace workers by surge, n at a time', '0')
    .option('--soak <seconds>', 'wait after each node before its health gate', '0')
    .addOption(acceptFlag)
    .action(async (cluster: string, template: string, f: StartFlags) => {
      const { request, options } = checkRequest(requestFrom(cluster, template, f));
      // Run by a worker: it reads the cluster; the CLI needs no kubeconfig.
      const { validated: v, plan, health } = await planUpgrade(await cli.client(), request, cli.taskQueue());
      console.log(`${v.cluster}: ${v.fromTemplate} (${v.fromVersion}) → ${v.toTemplate} (${v.toVersion})`);
      console.log(
        table(
          ['#', 'node', 'role', 'version', 'action'],
          plan.nodes.map((n, i) => [i + 1, n.name, n.role, n.kubeletVersion, n.action]),
        ),
      );
      console.log(
        table(
          ['budget', 'allowed', 'healthy', 'needs', 'expected', 'never allows'],
          plan.budgets.map((b) => [
            b.name,
            b.disruptionsAllowed,
            b.currentHealthy,
            b.desiredHealthy,
            b.expectedPods,
            b.neverAllows ? 'YES' : '',
          ]),
        ),
      );
      for (const w of plan.warnings) console.log(`warning: ${w}`);
      console.log(
        `estimate: about ${Math.ceil(plan.estimateSeconds / 60)} min (${plan.estimateSeconds} s; workers ${
          options.maxSurge > 0 ? `by surge, ${options.maxSurge}` : `${String(options.maxUnavailable)}`
        } at a time)`,
      );
      for (const a of plan.estimateAssumes ?? []) console.log(`  assuming ${a}`);
      if (health) console.log(baselineReport(health, options.acceptUnhealthy));
    });

  program
    .command('status')
    .description("the cluster as `openstack coe cluster show` prints it, with each node's version and state")
    .argument('<cluster>')
    .action(async (name: string) => {
      const cat = cli.catalogue();
      const cluster = findCluster(cat, name);
      const c = await cli.client();
      const [state] = await clusterStates(c, cat, [cluster.name], cli.taskQueue());
      if (!state) throw new Error(`no record of cluster ${cluster.name} came back from Temporal`);
      const { record } = state;
      // The upgrade the record names, else the latest one Temporal lists for the cluster.
      const upgrade = await queryStatus(c, cluster.name, record.workflow_id);
      console.log(clusterShow(cluster, findTemplate(cat, record.template), record, upgrade, state));
      if (upgrade) {
        console.log(nodeTable(upgrade.nodes));
        const blocked = blockedReport(upgrade);
        if (blocked) console.log(blocked);
      }
    });

  program
    .command('watch')
    .description('follow an upgrade live: node changes (like `kubectl get node -w`) and a progress bar')
    .argument('<cluster>')
    .action(async (cluster: string) => {
      const s = await watch(await cli.client(), cli.clusterName(cluster));
      if (s) console.log(`${s.workflowId}: ${s.phase}`);
    });

  const signal = (name: 'pause' | 'resume' | 'abort', what: string) =>
    program
      .command(name)
      .description(what)
      .argument('<cluster>')
      .option('--reason <text>', 'why (recorded in the status)')
      .action(async (cluster: string, f: { reason?: string }) => {
        const handle = await runningUpgrade(await cli.client(), cli.clusterName(cluster));
        await handle.signal(name, { reason: f.reason });
        console.log(`${name} sent to ${handle.workflowId}`);
      });
  signal('pause', 'pause the upgrade before its next node');
  signal('resume', 'resume a paused upgrade (retries blocked drains)');
  signal('abort', 'abort at the next safe point; nodes being worked on are uncordoned');

  const decide = (name: string, update: string, what: string) =>
    program
      .command(name)
      .description(what)
      .argument('<cluster>')
      .argument('<node>')
      .option('--timeout <seconds>', 'new drain timeout (retry-drain)')
      .action(async (cluster: string, node: string, f: { timeout?: string }) => {
        const handle = await runningUpgrade(await cli.client(), cli.clusterName(cluster));
        const answer = await handle.executeUpdate<string, [{ node: string; timeoutSeconds?: number }]>(update, {
          args: [{ node, timeoutSeconds: num(f.timeout) }],
        });
        console.log(answer);
      });
  decide('retry-drain', 'retryDrain', 'retry the blocked drain of <node>');
  decide('force-drain', 'forceDrain', 'delete (not evict) the pods blocking <node>: budgets are bypassed');
  decide(
    'skip-node',
    'skipNode',
    'go on without <node>: a blocked drain leaves it uncordoned at its old version; a failed replacement leaves it cordoned',
  );
  decide('retry-replace', 'retryReplace', 'run the failed replacement of <node> again (it stays cordoned meanwhile)');
}
