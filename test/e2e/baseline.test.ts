/**
 * The baseline on the real local cluster: a worker held NotReady before the start (an admission policy
 * stops kwok's heartbeat from lifting it) → the upgrade is refused, naming it and --accept-unhealthy;
 * `kru plan` shows it and what the flag would accept. Accepted, the upgrade proceeds and leaves that
 * node alone at its version; status, `kru status` and the record show the baseline. A control-plane
 * node made NotReady during the upgrade pauses it at the next gate, named as new; once it is Ready
 * again, `resume` completes the upgrade (partial: the accepted node was not upgraded). What the
 * catalogue's health.exclude names is left out of the gate, which says so.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { kubectl } from '../../localcluster/cluster.js';
import { Failure } from '../../model/errors.js';
import type { GateResult } from '../../model/kube.js';
import {
  closeHarness,
  cluster,
  CLUSTER,
  clusterRecord,
  freshCluster,
  harness,
  type Harness,
  nginxNodes,
  nodes,
  resultWithin,
  startUpgrade,
  TARGET,
  until,
} from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
/** Our CLI on the harness's task queue (asynchronous: the worker in this process must keep answering). */
const kru = async (...args: string[]) =>
  (
    await run(
      process.execPath,
      ['--import', 'tsx', join(root, 'client/main.ts'), ...args, '--task-queue', h.taskQueue],
      {
        cwd: root,
        encoding: 'utf8',
      },
    )
  ).stdout;

const MASTER = 'k8s-upgrade-test-zcuuaiib6nqt-master-2';
const policy = (node: string) => `baseline-test-hold-${node.slice(-8)}`;
const held: string[] = [];

/** Holds `node` NotReady: its status is written so, and an admission policy refuses any write that lifts it. */
async function holdNotReady(node: string): Promise<void> {
  const name = policy(node);
  held.push(node);
  const hold = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes/status'] }],
      },
      validations: [
        {
          expression: `!(object.metadata.name == '${node}' && object.status.conditions.exists(c, c.type == 'Ready' && c.status != 'False'))`,
          message: 'the baseline test holds this node NotReady',
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: ['Deny'] },
  };
  kubectl(cluster, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [hold, binding] }));
  await sleep(2000); // the policy takes effect
  const status = {
    conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletDown', message: 'held by the test' }],
  };
  kubectl(cluster, [
    'patch',
    'node',
    node,
    '--subresource=status',
    '--type=strategic',
    '-p',
    JSON.stringify({ status }),
  ]);
  for (let i = 0; !(await nodes()).some((n) => n.name === node && !n.ready); i++) {
    if (i > 50) assert.fail(`${node} did not become NotReady`);
    await sleep(200);
  }
}

/** Lets kwok's heartbeat make `node` Ready again. */
async function release(node: string): Promise<void> {
  kubectl(cluster, [
    'delete',
    'validatingadmissionpolicybinding,validatingadmissionpolicy',
    policy(node),
    '--ignore-not-found',
  ]);
  for (let i = 0; (await nodes()).some((n) => n.name === node && !n.ready); i++) {
    if (i > 300) assert.fail(`${node} did not become Ready again`);
    await sleep(200);
  }
}

let h: Harness;
before(async () => {
  h = await harness();
  await freshCluster();
});
after(async () => {
  for (const node of held) await release(node).catch(() => undefined);
  await closeHarness(h);
});

describe('a node NotReady before the upgrade', () => {
  let broken = '';

  before(async () => {
    // A worker no nginx pod runs on: its drain would otherwise be stuck behind the budget, and the
    // test is about the node, not about nginx.
    const busy = await nginxNodes();
    broken = (await nodes()).find((n) => n.role === 'worker' && !busy.includes(n.name))?.name ?? '';
    assert.ok(broken, `a worker without nginx (nginx runs on ${busy.join(', ')})`);
    await holdNotReady(broken);
  });

  it('refuses the upgrade, naming the node and the flag; the cluster is untouched', async () => {
    const before = JSON.stringify(await nodes());
    const handle = await startUpgrade(h, { gateTimeoutSeconds: 5 });
    const refused = await handle.result().then(
      () => assert.fail('the upgrade should have been refused'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof WorkflowFailedError, String(refused));
    const cause = refused.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(cause.type, Failure.UnhealthyCluster);
    assert.match(cause.message, new RegExp(`refusing to start the upgrade: .*nodes: ${broken} not Ready`));
    assert.match(
      cause.message,
      new RegExp(`--accept-unhealthy \\(workflow input "acceptUnhealthy": true\\): .*"node/${broken} not Ready"`),
    );
    assert.equal(JSON.stringify(await nodes()), before, 'the cluster was touched');
  });

  it('kru plan shows it, and what --accept-unhealthy would accept', async () => {
    const refused = await kru('plan', CLUSTER, TARGET);
    assert.match(refused, new RegExp(`node/${broken} not Ready .*refused; --accept-unhealthy accepts it`));
    assert.match(refused, /the upgrade would be refused \(nodes: /);
    const accepted = await kru('plan', CLUSTER, TARGET, '--accept-unhealthy');
    assert.match(accepted, new RegExp(`node/${broken} not Ready .*accepted: in the baseline`));
    assert.match(accepted, /the upgrade would start with \d+ accepted problem\(s\) as its baseline/);
  });

  it("leaves out what the cluster's catalogue entry excludes, and says so", async () => {
    // The fixture with health.exclude on the test cluster: the broken node, and a namespace whose
    // budget can never be satisfied (it selects no pod).
    const fixture = process.env.K8S_RU_CATALOGUE ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-baseline-'));
    const excluding = join(dir, 'catalogue.yaml');
    writeFileSync(
      excluding,
      readFileSync(fixture, 'utf8').replace(
        '    probeHosts: [127.0.0.1]',
        `    probeHosts: [127.0.0.1]\n    health: { exclude: { namespaces: [scratch], objects: [node/${broken}] } }`,
      ),
    );
    kubectl(cluster, ['create', 'namespace', 'scratch']);
    const budget = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'nothing', namespace: 'scratch' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'none' } } },
    };
    kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(budget));
    process.env.K8S_RU_CATALOGUE = excluding;
    try {
      const { health } = await h.client.workflow.execute('upgradePlan', {
        taskQueue: h.taskQueue,
        workflowId: `plan-baseline-${Date.now()}`,
        args: [{ cluster: CLUSTER, template: TARGET }],
      });
      const checks = (health as GateResult).checks;
      assert.equal((health as GateResult).healthy, true, JSON.stringify(checks));
      assert.equal(
        checks.find((c) => c.name === 'nodes')?.detail,
        `all Ready (excluded by the catalogue: ${broken} not Ready)`,
      );
      assert.match(
        checks.find((c) => c.name === 'budgets')?.detail ?? '',
        /^all satisfied \(excluded by the catalogue: scratch\/nothing (has 0 healthy, needs 1|not yet observed)/,
      );
      assert.deepEqual((health as GateResult).problems, []);
    } finally {
      process.env.K8S_RU_CATALOGUE = fixture;
      kubectl(cluster, ['delete', 'pdb', 'nothing', '-n', 'scratch']);
      kubectl(cluster, ['delete', 'namespace', 'scratch', '--wait=false']);
    }
  });

  it('accepted, proceeds without it; a node NotReady during the upgrade pauses it as new; resume completes', async () => {
    // The soak puts the gate after the first node some seconds after it is done: time to break the next.
    const handle = await startUpgrade(h, { acceptUnhealthy: true, soakSeconds: 8, gateTimeoutSeconds: 15 });
    const started = await until(handle, 'the first node done', (s) => s.done >= 1, 120_000);
    const key = `node/${broken} not Ready`;
    assert.ok(
      started.baseline?.accepted.some((p) => p.key === key),
      `the baseline: ${JSON.stringify(started.baseline)}`,
    );
    const skipped = started.nodes.find((n) => n.name === broken);
    assert.equal(skipped?.step, 'skipped');
    assert.equal(skipped?.detail, 'not Ready before the upgrade (accepted): left alone at v1.11.9');
    assert.equal(started.nodes.find((n) => n.name === MASTER)?.step, 'pending', 'the next node is not yet touched');

    await holdNotReady(MASTER);
    let paused;
    try {
      paused = await until(handle, 'the gate after the first node failing', (s) => s.phase === 'paused', 120_000);
    } finally {
      await release(MASTER);
    }
    assert.equal(paused.done, 1, 'paused after the first node');
    const nodesCheck = paused.lastGate?.checks.find((c) => c.name === 'nodes');
    assert.equal(nodesCheck?.ok, false);
    assert.match(nodesCheck?.detail ?? '', new RegExp(`^${MASTER} not Ready \\(new\\)`));
    assert.match(
      nodesCheck?.detail ?? '',
      new RegExp(`${broken} not Ready: already so before the upgrade \\(accepted\\)`),
    );
    assert.match(
      paused.pausedReason ?? '',
      new RegExp(`health gate failed after node .*: .*${MASTER} not Ready \\(new\\)`),
    );
    assert.doesNotMatch(paused.pausedReason ?? '', new RegExp(`${broken} not Ready \\(new\\)`));

    // While paused, `kru status` shows the baseline.
    const shown = await kru('status', CLUSTER);
    assert.match(shown, new RegExp(`baseline .*node/${broken} not Ready`));

    await handle.signal('resume');
    const final = await resultWithin(handle, 420_000);
    assert.equal(final.phase, 'completed', JSON.stringify(final.errors));
    const after = await nodes();
    const left = after.find((n) => n.name === broken);
    assert.equal(left?.kubeletVersion, 'v1.11.9', 'the accepted node was left at its version');
    assert.equal(left?.unschedulable, false, 'and never cordoned');
    assert.ok(
      after.filter((n) => n.name !== broken).every((n) => n.kubeletVersion === 'v1.12.7' && !n.unschedulable),
      JSON.stringify(after),
    );
    assert.equal(final.nodes.find((n) => n.name === broken)?.step, 'skipped');
    assert.ok(final.baseline?.accepted.some((p) => p.key === key));

    const record = await clusterRecord();
    assert.equal(record.status, 'UPDATE_COMPLETE');
    assert.match(record.status_reason, new RegExp(`^partial: ${broken}=v1.11.9 not upgraded`));
    assert.ok(
      record.baseline?.accepted.some((p) => p.key === key),
      JSON.stringify(record.baseline),
    );
    assert.match(await kru('status', CLUSTER), new RegExp(`baseline .*node/${broken} not Ready`));
  });
});
