/**
 * Gates that see what breaks clusters, on the real local cluster: etcd stopped → the API server's own
 * `[-]etcd` check named; the scheduler stopped mid-upgrade → the gate after the node names it and
 * pauses, and once it is started again `resume` completes the upgrade; a pressure condition held on an
 * upgraded node → named with its message; a probe to a host the catalogue does not allow → refused
 * before anything starts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type GateRequest, gateUntilHealthy } from '../../activities/kube/health.js';
import { lookAtFor } from '../../activities/kube/look-at.js';
import { kubectl, startComponent, stopComponent } from '../../localcluster/cluster.js';
import { Failure } from '../../model/errors.js';
import type { GateResult } from '../../model/kube.js';
import {
  closeHarness,
  cluster,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  kube,
  nodes,
  resultWithin,
  startUpgrade,
  TARGET,
  until,
} from './support.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

const WORKER = 'k8s-upgrade-test-zcuuaiib6nqt-minion-0';
const OTHER = 'k8s-upgrade-test-zcuuaiib6nqt-minion-1';

/** The gate as the activity runs it, from this process (probes may reach 127.0.0.1 only). */
async function gateFor(req: GateRequest, timeoutMs: number): Promise<GateResult> {
  return await gateUntilHealthy(kube(), req, timeoutMs, {
    sleep: (ms) => sleep(ms),
    heartbeat: () => undefined,
    probeHosts: () => ['127.0.0.1'],
  });
}

const checkOf = (r: GateResult, name: string) => r.checks.find((c) => c.name === name);

describe("the API server's own checks", () => {
  it('names etcd when it is down, and passes again once it is back', async () => {
    await stopComponent(cluster, 'etcd');
    try {
      const asked = Date.now();
      const down = await gateFor({}, 3000);
      // The node list hangs without etcd: the gate still ends at its deadline (a round gets 5 s).
      assert.ok(Date.now() - asked < 8000, `the gate took ${Date.now() - asked} ms`);
      assert.equal(down.healthy, false);
      assert.match(checkOf(down, 'apiserver')?.detail ?? '', /readyz: .*\[-\]etcd failed/, JSON.stringify(down));
    } finally {
      startComponent(cluster, 'etcd');
    }
    // The controllers that lost their leases meanwhile are restarted by the cluster's supervisor.
    const back = await gateFor({}, 120_000);
    assert.equal(back.healthy, true, JSON.stringify(back.checks));
    assert.match(checkOf(back, 'apiserver')?.detail ?? '', /^readyz \(\d+ checks\) and livez \(\d+\) pass$/);
  });
});

describe('the scheduler and the controller-manager', () => {
  after(() => startComponent(cluster, 'kube-scheduler')); // a no-op unless a failed test left it down

  it('pauses an upgrade whose scheduler stopped, naming it; once started again, resume completes it', async () => {
    // The soak puts the gate after the first node more than 20 s after the scheduler's last renewal
    // (its Lease lasts 15 s; the gate allows 5 s more). The gate then waits up to 45 s for it.
    const handle = await startUpgrade(h, { soakSeconds: 24, gateTimeoutSeconds: 45 });
    await until(handle, 'the first node under way', (s) => s.nodes.some((n) => n.step !== 'pending'), 120_000);
    await stopComponent(cluster, 'kube-scheduler');
    let paused;
    try {
      paused = await until(handle, 'the gate after the first node failing', (s) => s.phase === 'paused', 180_000);
    } finally {
      startComponent(cluster, 'kube-scheduler');
    }
    assert.equal(paused.done, 1, 'paused after the first node');
    const check = checkOf(paused.lastGate ?? { healthy: true, checks: [], at: '' }, 'control-plane');
    assert.equal(check?.ok, false);
    assert.match(
      check?.detail ?? '',
      /^kube-scheduler has not renewed its leader Lease for \d+ s \(lease 15 s, held by /,
    );
    assert.doesNotMatch(check?.detail ?? '', /kube-controller-manager/, 'only the stopped component is named');
    assert.match(
      paused.pausedReason ?? '',
      /health gate failed after .*control-plane: kube-scheduler has not renewed.*look at .*kube-system get lease/,
    );

    // The new scheduler takes the Lease over once its predecessor's has run out; the gate waits for it.
    await handle.signal('resume');
    const final = await resultWithin(handle, 420_000);
    assert.equal(final.phase, 'completed', JSON.stringify(final.errors));
    assert.equal(checkOf(final.lastGate ?? { healthy: false, checks: [], at: '' }, 'control-plane')?.ok, true);
    assert.ok((await nodes()).every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable));
  });
});

describe('node conditions', () => {
  const POLICY = 'gates-test-hold-memory-pressure';
  const setPressure = (node: string, status: string, message: string) =>
    kubectl(cluster, [
      'patch',
      'node',
      node,
      '--subresource=status',
      '--type=strategic',
      '-p',
      JSON.stringify({
        status: { conditions: [{ type: 'MemoryPressure', status, reason: 'Test', message }] },
      }),
    ]);
  after(() => {
    kubectl(cluster, [
      'delete',
      'validatingadmissionpolicybinding,validatingadmissionpolicy',
      POLICY,
      '--ignore-not-found',
    ]);
    setPressure(WORKER, 'False', 'kubelet has sufficient memory available');
  });

  it('fails the gate on a pressure condition of an upgraded node, naming node, condition and message', async () => {
    // kwok's node heartbeat writes every condition back every 10-15 s, as a kubelet would: an admission
    // policy refuses any status write that lifts the pressure, so it stays until the test lifts it.
    const hold = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: POLICY },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes/status'] },
          ],
        },
        validations: [
          {
            expression: `!(object.metadata.name == '${WORKER}' && object.status.conditions.exists(c, c.type == 'MemoryPressure' && c.status != 'True'))`,
            message: 'the gates test holds MemoryPressure on this node',
          },
        ],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: POLICY },
      spec: { policyName: POLICY, validationActions: ['Deny'] },
    };
    kubectl(cluster, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [hold, binding] }));
    await sleep(2000); // the policy takes effect
    setPressure(WORKER, 'True', 'memory available 90Mi < threshold 100Mi');

    const notUpgraded = await gateFor({ upgradedNodes: [OTHER] }, 2000);
    assert.equal(checkOf(notUpgraded, 'node-conditions')?.ok, true, 'a node not upgraded is left to the baseline');
    const upgraded = await gateFor({ upgradedNodes: [WORKER, OTHER] }, 20_000);
    assert.equal(upgraded.healthy, false);
    assert.deepEqual(checkOf(upgraded, 'node-conditions'), {
      name: 'node-conditions',
      ok: false,
      detail: `${WORKER} MemoryPressure: memory available 90Mi < threshold 100Mi`,
      lookAt: lookAtFor('node-conditions'),
    });
    const still = kubectl(cluster, [
      'get',
      'node',
      WORKER,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="MemoryPressure")].status}',
    ]);
    assert.equal(still, 'True', 'the condition held for the whole gate');

    kubectl(cluster, ['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', POLICY]);
    await sleep(2000);
    setPressure(WORKER, 'False', 'kubelet has sufficient memory available');
    const lifted = await gateFor({ upgradedNodes: [WORKER, OTHER] }, 20_000);
    assert.equal(checkOf(lifted, 'node-conditions')?.detail, 'none on the 2 upgraded node(s)');
  });
});

describe('probes', () => {
  it('refuses a probe to a host the catalogue does not allow before anything starts', async () => {
    const before = JSON.stringify(await nodes());
    const refused = await h.client.workflow
      .execute('rollingUpgrade', {
        taskQueue: h.taskQueue,
        workflowId: `gates-probe-${Date.now()}`,
        args: [{ cluster: CLUSTER, template: TARGET, probes: [{ url: 'http://169.254.169.254/latest/meta-data/' }] }],
        workflowExecutionTimeout: '2 minutes',
      })
      .then(
        () => assert.fail('the upgrade should have been refused'),
        (err: unknown) => err,
      );
    assert.ok(refused instanceof WorkflowFailedError, String(refused));
    const cause = (refused.cause as { cause?: unknown }).cause ?? refused.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(cause.type, Failure.InvalidUpgrade);
    assert.match(
      cause.message,
      /probe http:\/\/169\.254\.169\.254\/latest\/meta-data\/: host 169\.254\.169\.254 is not allowed for cluster k8s-upgrade-test \(allowed: 127\.0\.0\.1\); add it to the cluster's probeHosts in the catalogue/,
    );
    assert.equal(JSON.stringify(await nodes()), before, 'the cluster was touched');
  });
});
