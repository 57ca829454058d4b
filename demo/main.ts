/**
 * The demo (`npm run demo`): the seed's upgrade of `k8s-upgrade-test` from v1.11.9 to v1.12.7 on a
 * local simulated cluster, end to end. Starts the Temporal dev server, the cluster and a worker; runs
 * the upgrade while an independent watcher checks the nginx service; prints progress, the final
 * status and the availability figures; stops everything it started.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_CATALOGUE, findCluster, findTemplate, loadCatalogue } from '../activities/catalogue/load.js';
import { clusterEntity } from '../client/entity.js';
import { declaredRecord } from '../activities/catalogue/declared.js';
import { kubeClients } from '../activities/kube/client.js';
import type { Catalogue } from '../model/catalogue.js';
import { nodeTable, clusterShow } from '../client/render.js';
import { client, startUpgrade, upgradeId } from '../client/upgrades.js';
import { watch } from '../client/watch.js';
import { connectWorker, temporalSettings } from '../config/temporal.js';
import { watchAvailability } from '../localcluster/availability.js';
import { clusterOptions, down, kubeconfigPath, up } from '../localcluster/cluster.js';
import { createWorker, quietRuntime } from '../worker/worker.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLUSTER = 'k8s-upgrade-test';
const TEMPLATE = 'kubernetes-v1.12.7-prod-20190403';
const temporalDir = `${root}.run/demo/temporal`;
const stateDir = `${root}.run/demo/state`;
// Each demo starts from the seed: no run files, and no cluster record in Temporal (its database).
rmSync(stateDir, { recursive: true, force: true });
rmSync(`${temporalDir}/temporal.db`, { force: true });

const step = (text: string) => console.log(`\n== ${text}`);
const script = `${root}scripts/temporal-server.sh`;
const cluster = clusterOptions();
const temporalPort = process.env.TEMPORAL_PORT ?? '7233';
// The dev server started below, unless TEMPORAL_ADDRESS (or a profile) names another.
const settings = temporalSettings(process.env.TEMPORAL_ADDRESS ? {} : { address: `127.0.0.1:${temporalPort}` });

/** The shipped catalogue, its cluster pointed at the local cluster started below. */
function catalogue(): Catalogue {
  const shipped = loadCatalogue(DEFAULT_CATALOGUE);
  const local = (c: Catalogue['clusters'][number]) =>
    c.name === CLUSTER ? { ...c, kubeconfig: kubeconfigPath(cluster) } : c;
  return { ...shipped, clusters: shipped.clusters.map(local) };
}
const clients = kubeClients(catalogue);

quietRuntime('WARN');
let stopWorker = async () => undefined as void;
try {
  step(`Temporal dev server (127.0.0.1:${temporalPort}, Web UI on port ${Number(temporalPort) + 1000})`);
  execFileSync('bash', [script, 'start', temporalDir], {
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_PORT: temporalPort },
  });

  step("local cluster: Kubernetes 1.33 control plane + kwok nodes, the seed's nginx example");
  await up(cluster);

  step('worker on task queue k8s-rolling-upgrade');
  const connection = await connectWorker(settings);
  const worker = await createWorker({
    connection,
    namespace: settings.namespace,
    deps: { catalogue, kube: (name) => clients.kube(name), stateDir },
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
    clients.close();
    await connection.close();
  };

  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath(cluster));
  const availability = await watchAvailability(config, {
    namespace: 'default',
    selector: 'app=nginx',
    service: 'nginx-service',
    minAvailable: 1,
  });

  step(`openstack coe cluster upgrade ${CLUSTER} ${TEMPLATE}  (workflow ${upgradeId(CLUSTER)})`);
  const c = await client(settings);
  await startUpgrade(c, { cluster: CLUSTER, template: TEMPLATE, soakSeconds: 1 });
  const final = await watch(c, CLUSTER);
  await availability.stop();

  step(`openstack coe cluster show ${CLUSTER}`);
  const cat = catalogue();
  const declared = () => declaredRecord(cat, findCluster(cat, CLUSTER));
  const { record } = await clusterEntity(c, 'k8s-rolling-upgrade', declared).state();
  console.log(clusterShow(findCluster(cat, CLUSTER), findTemplate(cat, record.template), record, final));
  if (final) console.log(nodeTable(final.nodes));
  console.log(`\navailability: ${availability.checks} checks, ${availability.failed} failed`);
  for (const f of availability.failures) console.log(`  interruption: ${f}`);
  if (final?.phase !== 'completed' || availability.failed > 0) process.exitCode = 1;
  await c.connection.close();
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  step('stopping everything the demo started');
  await stopWorker();
  down(cluster);
  execFileSync('bash', [script, 'stop', temporalDir], { stdio: 'inherit' });
}
