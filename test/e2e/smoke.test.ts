/**
 * The smoke pod on the real local cluster, with the worker bound to the shipped role (deploy/rbac.yaml):
 * after each node's uncordon a pod pinned to it must become Ready, and is deleted again. A node whose
 * pod never gets Ready (kwok holds a pod that tolerates the taint k8s-ru.test/smoke=hold, and the smoke
 * pod copies its node's taints: localcluster/kwok.yaml) pauses the upgrade naming the node, what the
 * pod showed and what to look at; once the hold is gone `resume` runs the pod again and the upgrade ends.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Pod, Watch } from '@kubernetes/client-node';
import { SMOKE_UPGRADE_LABEL } from '../../activities/kube/smoke.js';
import { blockedReport, clusterShow } from '../../client/render.js';
import { findCluster, findTemplate, loadCatalogue } from '../../activities/catalogue/load.js';
import { kubeconfigPath, kubectl } from '../../localcluster/cluster.js';
import { nodeNames } from '../../localcluster/nodes.js';
import type { UpgradeStatus } from '../../model/status.js';
import { RBAC, serviceAccountKubeconfig } from '../support/serviceaccount.js';
import { forgetClients } from '../support/temporal.js';
import {
  cluster,
  closeHarness,
  clusterRecord,
  freshCluster,
  harness,
  type Harness,
  nodes,
  resultWithin,
  startUpgrade,
  until,
} from './support.js';

const NAMESPACE = 'k8s-rolling-upgrade';
const HOLD = 'k8s-ru.test/smoke';
const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-smoke-'));
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
const held = nodeNames(cluster.layout).workers[0] ?? '';
let h: Harness;
let admin: CoreV1Api;
let adminConfig: KubeConfig;

/** The fixture catalogue with the test cluster reached through `kubeconfig` and a short smoke timeout. */
function useCatalogue(kubeconfig: string) {
  const catalogue = join(dir, 'catalogue.yaml');
  const source = readFileSync(fixture, 'utf8').replace(
    'kubeconfig: ${K8S_RU_KUBECONFIG:-/nonexistent/kubeconfig}',
    `kubeconfig: ${kubeconfig}\n    smoke: { timeoutSeconds: 5 }`,
  );
  assert.match(source, /smoke: \{ timeoutSeconds: 5 \}/);
  writeFileSync(catalogue, source);
  process.env.K8S_RU_CATALOGUE = catalogue;
  forgetClients();
}

interface SeenPod {
  name: string;
  node: string;
  upgrade: string;
  deleted: boolean;
}

/** Every smoke pod created in the namespace from now on (by the admin's watch): its node, and whether it went. */
async function watchSmokePods(): Promise<{ seen: SeenPod[]; stop(): void }> {
  const seen: SeenPod[] = [];
  const watch = new Watch(adminConfig);
  const request = await watch.watch(
    `/api/v1/namespaces/${NAMESPACE}/pods`,
    {},
    (type: string, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      let s = seen.find((x) => x.name === name && !x.deleted);
      if (!s) {
        s = {
          name,
          node: pod.spec?.nodeName ?? '',
          upgrade: pod.metadata?.labels?.[SMOKE_UPGRADE_LABEL] ?? '',
          deleted: false,
        };
        seen.push(s);
      }
      if (type === 'DELETED') s.deleted = true;
    },
    () => undefined,
  );
  return { seen, stop: () => request.abort() };
}

const podsLeft = async () =>
  (await admin.listNamespacedPod({ namespace: NAMESPACE })).items.map((p) => p.metadata?.name);

before(async () => {
  h = await harness();
  adminConfig = new KubeConfig();
  adminConfig.loadFromFile(kubeconfigPath(cluster));
  admin = adminConfig.makeApiClient(CoreV1Api);
  const { path } = serviceAccountKubeconfig(cluster, 'k8s-rolling-upgrade', RBAC, dir);
  useCatalogue(path);
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

describe('the smoke pod', () => {
  it('runs on every upgraded node, Ready, and is deleted again; the upgrade completes', async () => {
    const pods = await watchSmokePods();
    const handle = await startUpgrade(h);
    const final = await resultWithin(handle);
    await sleep(500); // the watch's last events
    pods.stop();
    assert.equal(final.phase, 'completed');
    const live = await nodes();
    assert.ok(live.every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable));
    const ours = pods.seen.filter((p) => p.upgrade === handle.workflowId);
    for (const n of live) {
      const smoke = final.nodes.find((x) => x.name === n.name)?.smoke;
      assert.equal(smoke?.ok, true, `${n.name}: ${JSON.stringify(smoke)}`);
      assert.equal(smoke?.node, n.name);
      assert.match(smoke?.detail ?? '', new RegExp(`^Ready after \\d+ s on ${n.name}`));
      const pod = ours.find((p) => `${NAMESPACE}/${p.name}` === smoke?.pod);
      assert.ok(pod, `the smoke pod of ${n.name} (${smoke?.pod}) was seen created: ${JSON.stringify(ours)}`);
      assert.equal(pod.node, n.name, 'pinned to its node');
      assert.ok(pod.deleted, `the smoke pod of ${n.name} was deleted`);
    }
    assert.equal(ours.length, live.length, 'one pod per node');
    assert.deepEqual(await podsLeft(), []);
  });

  it('pauses on a node whose pod never gets Ready, naming it; resume runs it again once it can', async () => {
    kubectl(cluster, ['taint', 'node', held, `${HOLD}=hold:PreferNoSchedule`]);
    const handle = await startUpgrade(h);
    const paused = await until(
      handle,
      `the smoke pod of ${held} to park it`,
      (s) => s.nodes.some((n) => n.name === held && n.step === 'smoke-failed'),
      240_000,
    );
    assert.equal(paused.phase, 'paused');
    assert.equal(paused.clusterStatus, 'UPDATE_PAUSED');
    const reason = paused.pausedReason ?? '';
    assert.match(
      reason,
      new RegExp(
        `smoke pod never Ready on ${held}: smoke pod ${NAMESPACE}/smoke-${held}-\\w+ on ${held} not Ready within 5 s`,
      ),
    );
    assert.match(reason, /phase Pending; Ready=False \(ContainersNotReady\).*smoke: waiting \(ContainerCreating\)/);
    assert.match(reason, /events: Warning FailedCreatePodSandBox: failed to set up the pod network/);
    assert.match(reason, new RegExp(`look at the pod network on ${held}: its CNI plugin`));
    assert.match(reason, /resume runs it again/);
    const node = paused.nodes.find((n) => n.name === held);
    assert.equal(node?.smoke?.ok, false);
    assert.equal(node?.smoke?.observed?.phase, 'Pending');
    assert.deepEqual(
      [node?.version, node?.cordoned],
      ['v1.12.7', false],
      'upgraded and uncordoned: it only failed the check',
    );
    // What `kru status` prints: the check among the gate's, and the node's report.
    const cat = loadCatalogue();
    const c = findCluster(cat, 'k8s-upgrade-test');
    const shown = clusterShow(c, findTemplate(cat, c.template), await clusterRecord(), paused);
    assert.match(shown, new RegExp(`smoke-pod/${held}`));
    const report = blockedReport(paused);
    assert.match(report, new RegExp(`${held}: its smoke pod never became Ready \\(resume runs it again\\):`));
    assert.match(report, /events: Warning FailedCreatePodSandBox/);
    assert.match(report, new RegExp(`look at: the pod network on ${held}`));
    // The pod is gone; the node runs the new version and takes pods; nothing else moves while paused.
    assert.deepEqual(await podsLeft(), []);
    const live = (await nodes()).find((n) => n.name === held);
    assert.deepEqual([live?.kubeletVersion, live?.unschedulable], ['v1.12.7', false]);
    await sleep(3000);
    const still = await handle.query<UpgradeStatus>('status');
    assert.equal(still.phase, 'paused');
    assert.deepEqual(still.current, [held], 'no other node started');

    kubectl(cluster, ['taint', 'node', held, `${HOLD}-`]);
    await handle.signal('resume');
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'completed');
    const done = final.nodes.find((n) => n.name === held);
    assert.equal(done?.step, 'done');
    assert.equal(done?.smoke?.ok, true, JSON.stringify(done?.smoke));
    assert.match(done?.detail ?? '', /smoke pod Ready after \d+ s/);
    assert.ok((await nodes()).every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable));
    assert.deepEqual(await podsLeft(), []);
  });
});
