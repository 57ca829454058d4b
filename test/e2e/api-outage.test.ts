/**
 * The control plane fails under a running upgrade, on the real local cluster: kube-apiserver is
 * SIGKILLed mid-drain and kept down 30 s. Its controllers lose their leader leases and exit; the
 * cluster's supervisor restarts them as a kubelet restarts static pods. The upgrade then completes
 * without anybody touching it, and each node is registered again exactly once (seen by an
 * independent watch of Node objects). First, more quickly: the supervisor restarts a SIGKILLed
 * kube-scheduler, and `stopComponent`/`startComponent` keep one down and bring it back.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, makeInformer, type V1Node } from '@kubernetes/client-node';
import type { WorkflowHandle } from '@temporalio/client';
import { kubectl, restartCounts, startComponent, stopComponent } from '../../localcluster/cluster.js';
import { type ComponentName, runningPid } from '../../localcluster/components.js';
import type { UpgradeStatus } from '../../model/status.js';
import { unreachableText } from '../../workflows/rolling-upgrade/status.js';
import {
  closeHarness,
  cluster,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  kube,
  kubeconfig,
  nginxNodes,
  nodes,
  resultWithin,
  startUpgrade,
  until,
} from './support.js';

const OUTAGE_MS = 30_000;
const PROBE_POD = 'scheduler-probe';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const found = await check();
      if (found !== undefined && found !== false) return found;
    } catch {
      // not yet (the API server may be coming back)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

/** Brings a component back if a failed test left it stopped, and waits for the API server to serve. */
async function restore(name: ComponentName): Promise<void> {
  startComponent(cluster, name);
  await waitFor('kube-apiserver /readyz', 60_000, () => kubectl(cluster, ['get', '--raw', '/readyz']).trim() === 'ok');
}

/**
 * Every Node object the API server shows, by name, in the order their UIDs appear: a node registered
 * again gets a new UID. An informer (list, then watch) that lists again after each disconnection, so
 * an outage loses nothing that is still there when the API server is back.
 */
function watchRegistrations(): { uids: Map<string, string[]>; stop(): Promise<void> } {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig());
  const uids = new Map<string, string[]>();
  const informer = makeInformer<V1Node>(config, '/api/v1/nodes', () => kube().core.listNode());
  const seen = (node: V1Node) => {
    const name = node.metadata?.name ?? '';
    const uid = node.metadata?.uid ?? '';
    const list = uids.get(name) ?? [];
    if (!list.includes(uid)) uids.set(name, [...list, uid]);
  };
  informer.on('add', seen);
  informer.on('update', seen);
  informer.on('delete', seen);
  let stopped = false;
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 1000);
  });
  void informer.start().catch(() => undefined);
  return {
    uids,
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

describe('control-plane supervision', () => {
  it('restarts a killed kube-scheduler; stop keeps it down and start brings it back', async () => {
    const before = restartCounts(cluster)['kube-scheduler'];
    const first = runningPid(cluster, 'kube-scheduler');
    assert.ok(first, 'kube-scheduler runs');
    process.kill(first, 'SIGKILL');
    const second = await waitFor('the supervisor to restart kube-scheduler', 10_000, () => {
      const pid = runningPid(cluster, 'kube-scheduler');
      return pid !== first ? pid : undefined;
    });
    assert.equal(restartCounts(cluster)['kube-scheduler'], before + 1, 'one restart counted');

    try {
      await stopComponent(cluster, 'kube-scheduler');
      assert.equal(runningPid(cluster, 'kube-scheduler'), undefined, 'stopped');
      kubectl(cluster, ['run', PROBE_POD, '--image=nginx:1.15', '--restart=Never']);
      for (let i = 0; i < 12; i++) {
        await sleep(500);
        assert.equal(runningPid(cluster, 'kube-scheduler'), undefined, 'a stopped component stays down');
      }
      const unscheduled = kubectl(cluster, ['get', 'pod', PROBE_POD, '-o', 'jsonpath={.spec.nodeName}']);
      assert.equal(unscheduled, '', 'no scheduler, no binding');
      assert.equal(restartCounts(cluster)['kube-scheduler'], before + 1, 'the supervisor did not restart it');

      const third = startComponent(cluster, 'kube-scheduler');
      assert.notEqual(third, second);
      assert.equal(runningPid(cluster, 'kube-scheduler'), third);
      assert.equal(startComponent(cluster, 'kube-scheduler'), third, 'starting a running component is a no-op');
      // It schedules again once it holds the leader lease (its predecessor's runs out after 15 s).
      const node = await waitFor('the probe pod to be scheduled', 60_000, () => {
        const name = kubectl(cluster, ['get', 'pod', PROBE_POD, '-o', 'jsonpath={.spec.nodeName}']).trim();
        return name || undefined;
      });
      assert.ok(node);
      assert.equal(restartCounts(cluster)['kube-scheduler'], before + 1, 'a start on purpose is not a restart');
      await assert.rejects(
        stopComponent(cluster, 'kube-schedular'),
        /unknown component "kube-schedular": expected one of etcd/,
      );
    } finally {
      startComponent(cluster, 'kube-scheduler');
      kubectl(cluster, ['delete', 'pod', PROBE_POD, '--ignore-not-found', '--grace-period=0', '--force']);
    }
  });

  it('completes an upgrade through a 30 s kube-apiserver outage mid-drain, each node replaced once', async () => {
    const registrations = watchRegistrations();
    const controllers = ['kube-controller-manager', 'kube-scheduler'] as const;
    const restartsBefore = restartCounts(cluster);
    const pidsBefore = Object.fromEntries(controllers.map((c) => [c, runningPid(cluster, c)]));
    // Samples of the `status` query while the API server is down (every 3 s): they must say so.
    const outageStatuses: { at: string; status?: UpgradeStatus; error?: string }[] = [];
    let handle: WorkflowHandle | undefined;
    let downAtMs = 0;
    try {
      await waitFor('the watch to list the nodes', 10_000, () => registrations.uids.size === 6 || undefined);
      const withNginx = await nginxNodes();
      handle = await startUpgrade(h, { drainTimeoutSeconds: 300 });
      const draining = await until(
        handle,
        'a drain in progress',
        (s) => s.nodes.some((n) => n.step === 'drain' && withNginx.includes(n.name)),
        120_000,
      );
      await stopComponent(cluster, 'kube-apiserver'); // SIGKILL, and kept down
      const downAt = Date.now();
      downAtMs = downAt;
      while (Date.now() - downAt < OUTAGE_MS) {
        const at = new Date().toISOString();
        try {
          outageStatuses.push({ at, status: await handle.query<UpgradeStatus>('status') });
        } catch (err) {
          outageStatuses.push({ at, error: (err as Error).message });
        }
        assert.equal(runningPid(cluster, 'kube-apiserver'), undefined, 'kube-apiserver is kept down');
        await sleep(Math.min(3000, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
      }
      startComponent(cluster, 'kube-apiserver');

      const final = await resultWithin(handle, 300_000);
      const drainingNode = draining.nodes.find((n) => n.step === 'drain' && withNginx.includes(n.name))?.name;
      assert.equal(final.phase, 'completed', `after the outage during the drain of ${drainingNode}`);
      assert.equal(final.clusterStatus, 'UPDATE_COMPLETE');
      const answered = outageStatuses.filter((sample) => sample.status).length;
      assert.ok(
        answered >= 8,
        `the status answered during the outage: ${answered} of ${outageStatuses.length} samples`,
      );
      // While activities could not reach the API server, the status said so and did not look healthy.
      const unreachable = outageStatuses.flatMap((sample) =>
        sample.status?.unreachable ? [{ ...sample.status, at: sample.at }] : [],
      );
      assert.ok(
        unreachable.length >= 3,
        `the status said the API server was unreachable in ${unreachable.length} of ${outageStatuses.length} samples: ${JSON.stringify(outageStatuses.map((x) => x.status?.unreachable ?? x.error))}`,
      );
      const since = unreachable[0]?.unreachable?.since ?? '';
      for (const sample of unreachable) {
        assert.equal(sample.health, 'UNREACHABLE');
        assert.equal(sample.unreachable?.since, since, 'since the first failed attempt');
        assert.match(
          sample.unreachable?.message ?? '',
          new RegExp(`cannot reach the API server of cluster ${CLUSTER}`),
        );
        const shown = unreachableText(sample) ?? '';
        assert.match(
          shown,
          new RegExp(`^API server of ${CLUSTER} unreachable since \\d\\d:\\d\\d:\\d\\d UTC, attempt \\d+: `),
        );
        assert.notEqual(sample.health, 'HEALTHY');
      }
      assert.ok(
        Date.parse(since) >= downAtMs - 1000 && Date.parse(since) <= downAtMs + OUTAGE_MS,
        `since ${since}: within the outage`,
      );
      assert.equal(final.unreachable, undefined, 'reachable again at the end');
      assert.notEqual(final.health, 'UNREACHABLE');
      const live = await nodes();
      const liveUids = new Map((await kube().core.listNode()).items.map((n) => [n.metadata?.name, n.metadata?.uid]));
      assert.equal(live.length, 6);
      for (const n of live) {
        assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
        assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
        assert.equal(n.ready, true, `${n.name} Ready`);
        const uids = registrations.uids.get(n.name) ?? [];
        assert.equal(
          uids.length,
          2,
          `${n.name} registered once more, not ${uids.length - 1} times: ${uids.join(', ')}`,
        );
        assert.equal(uids[1], liveUids.get(n.name), `${n.name}: the live node is its one replacement`);
      }
      // Both controllers lost their leader lease (renew deadline 10 s) and exited; the supervisor
      // restarted them. kube-apiserver itself was stopped on purpose: started again, not restarted.
      const restarts = restartCounts(cluster);
      for (const c of controllers) {
        assert.notEqual(runningPid(cluster, c), pidsBefore[c], `${c} exited during the outage`);
        assert.ok(restarts[c] > restartsBefore[c], `${c} restarted by the supervisor (${restarts[c]} restarts)`);
        assert.ok(runningPid(cluster, c), `${c} runs`);
      }
      assert.equal(restarts['kube-apiserver'], restartsBefore['kube-apiserver']);
    } finally {
      await registrations.stop();
      await restore('kube-apiserver');
      // A failed run leaves no upgrade acting on the cluster after it (a finished one refuses this).
      await handle?.terminate('the outage test is over').catch(() => undefined);
    }
  });
});
