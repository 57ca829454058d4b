/**
 * Bad input leaves the cluster untouched, each with its own clear error: unknown cluster or template,
 * label-key mismatch, downgrade, two-minor jump, unreachable API server, unhealthy cluster at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { forgetClients } from '../support/temporal.js';
import { cluster, closeHarness, freshCluster, harness, type Harness, nodes } from './support.js';
import { kubectl } from '../../localcluster/cluster.js';
import { Failure } from '../../model/errors.js';

let h: Harness;
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
before(async () => {
  await freshCluster();
  // The fixture plus a cluster whose API server does not answer (nothing listens on port 1).
  const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-refusals-'));
  const unreachable = join(dir, 'kubeconfig');
  writeFileSync(
    unreachable,
    readFileSync(join(cluster.dir, 'kubeconfig'), 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:1',
    ),
  );
  const catalogue = join(dir, 'catalogue.yaml');
  writeFileSync(
    catalogue,
    `${readFileSync(fixture, 'utf8')}\n  - name: unreachable-cluster\n    uuid: 00000000-0000-0000-0000-0000000000c1\n    template: kubernetes-v1.11.9-prod-20190402\n    kubeconfig: ${unreachable}\n    replace: { provider: kwok, delaySeconds: 1 }\n`,
  );
  process.env.K8S_RU_CATALOGUE = catalogue;
  forgetClients();
  h = await harness();
});
after(async () => {
  kubectl(cluster, ['delete', 'deployment', 'never-scheduled', '--ignore-not-found']);
  await closeHarness(h);
});

async function refusal(input: object): Promise<ApplicationFailure> {
  const before = JSON.stringify(await nodes());
  try {
    await h.client.workflow.execute('rollingUpgrade', {
      taskQueue: h.taskQueue,
      workflowId: `refusal-${Date.now()}`,
      args: [
        { cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403', gateTimeoutSeconds: 3, ...input },
      ],
      workflowExecutionTimeout: '3 minutes',
    });
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(JSON.stringify(await nodes()), before, 'the cluster was touched');
    return cause;
  }
  assert.fail('the upgrade should have been refused');
}

describe('refused upgrades leave the cluster untouched', () => {
  const cases: [string, object, string, RegExp][] = [
    ['an unknown cluster', { cluster: 'no-such-cluster' }, Failure.UnknownCluster, /unknown cluster "no-such-cluster"/],
    [
      'an unknown template',
      { template: 'no-such-template' },
      Failure.UnknownTemplate,
      /unknown cluster template "no-such-template"/,
    ],
    [
      'a label-key mismatch',
      { template: 'with-extra-label' },
      Failure.InvalidUpgrade,
      /label keys differ: with-extra-label adds calico_tag/,
    ],
    ['a downgrade', { template: 'downgrade' }, Failure.InvalidUpgrade, /downgrades are not supported/],
    ['a two-minor jump', { template: 'two-minor-jump' }, Failure.InvalidUpgrade, /skips 1 minor version/],
    [
      'an unreachable API server',
      { cluster: 'unreachable-cluster' },
      Failure.ClusterUnreachable,
      /cannot reach the API server of cluster unreachable-cluster/,
    ],
  ];
  for (const [what, input, type, message] of cases) {
    it(`refuses ${what}`, async () => {
      const f = await refusal(input);
      assert.equal(f.type, type);
      assert.match(f.message, message);
    });
  }

  it('refuses an unhealthy cluster, naming what is unhealthy', async () => {
    // A workload that can never become available.
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'never-scheduled', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'never-scheduled' } },
        template: {
          metadata: { labels: { app: 'never-scheduled' } },
          spec: { nodeSelector: { 'no-such': 'node' }, containers: [{ name: 'c', image: 'nginx:1.15' }] },
        },
      },
    };
    kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(deployment));
    const f = await refusal({});
    assert.equal(f.type, Failure.UnhealthyCluster);
    assert.match(
      f.message,
      /refusing to start the upgrade: workloads: deployment default\/never-scheduled 0\/1 available/,
    );
  });
});
