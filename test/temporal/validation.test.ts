/** `rollingUpgrade`'s validation, run by a real worker on the real Temporal dev server. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { closeHarness, harness, type Harness, uniqueQueue } from '../support/temporal.js';
import { Failure } from '../../model/errors.js';

process.env.K8S_RU_CATALOGUE = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-state-'));
// No cluster here: a valid move gets past validation and stops at the cluster step.
process.env.K8S_RU_KUBECONFIG = '/nonexistent/kubeconfig';

let h: Harness;
before(async () => {
  h = await harness(true, 'validation');
});
after(async () => await closeHarness(h));

async function run(input: unknown, workflowId = uniqueQueue('validate')) {
  return await h.client.workflow.execute('rollingUpgrade', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [input],
    workflowExecutionTimeout: '1 minute',
  });
}

/** The failure the workflow ended with: its ApplicationFailure (from the workflow or an activity). */
async function failure(input: unknown, workflowId?: string): Promise<ApplicationFailure> {
  try {
    await run(input, workflowId);
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    return cause;
  }
  assert.fail('the workflow should have failed');
}

describe('rollingUpgrade validation on the dev server', () => {
  it("accepts the seed's move v1.11.9 → v1.12.7 (and goes on to the cluster)", async () => {
    const workflowId = uniqueQueue('validate');
    const f = await failure({ cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403' }, workflowId);
    assert.equal(f.type, Failure.ClusterUnreachable);
    assert.match(f.message, /its kubeconfig \/nonexistent\/kubeconfig does not exist/);
    const status = await h.client.workflow
      .getHandle(workflowId)
      .query<{ fromVersion: string; toVersion: string; phase: string }>('status');
    assert.deepEqual([status.fromVersion, status.toVersion, status.phase], ['v1.11.9', 'v1.12.7', 'failed']);
  });

  const refused: [string, unknown, string, RegExp][] = [
    [
      'an extra label key',
      { cluster: 'k8s-upgrade-test', template: 'with-extra-label' },
      Failure.InvalidUpgrade,
      /adds calico_tag/,
    ],
    [
      'a missing label key',
      { cluster: 'k8s-upgrade-test', template: 'with-missing-label' },
      Failure.InvalidUpgrade,
      /lacks etcd_volume_size/,
    ],
    [
      'a downgrade',
      { cluster: 'k8s-upgrade-test', template: 'downgrade' },
      Failure.InvalidUpgrade,
      /downgrades are not supported/,
    ],
    [
      'a two-minor jump',
      { cluster: 'k8s-upgrade-test', template: 'two-minor-jump' },
      Failure.InvalidUpgrade,
      /skips 1 minor/,
    ],
    [
      'an unknown template',
      { cluster: 'k8s-upgrade-test', template: 'nope' },
      Failure.UnknownTemplate,
      /unknown cluster template "nope"/,
    ],
    [
      'an unknown cluster',
      { cluster: 'nope', template: 'downgrade' },
      Failure.UnknownCluster,
      /unknown cluster "nope"; the catalogue has: k8s-upgrade-test/,
    ],
    [
      'a cluster mid-upgrade',
      { cluster: 'busy-cluster', template: 'kubernetes-v1.12.7-prod-20190403' },
      Failure.InvalidUpgrade,
      /UPDATE_IN_PROGRESS/,
    ],
    ['input without a template', { cluster: 'k8s-upgrade-test' }, Failure.InvalidInput, /"template" .* is required/],
    [
      'maxSurge with a provider that upgrades in place',
      { cluster: 'in-place-cluster', template: 'kubernetes-v1.12.7-prod-20190403', maxSurge: 1 },
      Failure.InvalidUpgrade,
      /maxSurge needs a provider that registers new nodes \(kwok\); cluster in-place-cluster uses 'command'/,
    ],
    [
      'a negative maxSurge',
      { cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403', maxSurge: -1 },
      Failure.InvalidInput,
      /"maxSurge" must be a whole number >= 0/,
    ],
  ];
  for (const [what, input, type, message] of refused) {
    it(`refuses ${what}`, async () => {
      const f = await failure(input);
      assert.equal(f.type, type);
      assert.match(f.message, message);
      assert.equal(f.nonRetryable, true);
    });
  }
});
