/**
 * The gate's new checks as pure functions: the API server's verbose health answer, the leader Leases
 * of the scheduler and the controller-manager, and the conditions of upgraded nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';
import { failedHealthChecks } from '../../activities/kube/apiserver.js';
import { conditionProblems } from '../../activities/kube/conditions.js';
import { LEASE_SLACK_SECONDS, type LeaseSpec, leaseProblem } from '../../activities/kube/control-plane.js';
import { lookAtFor } from '../../activities/kube/look-at.js';
import { failedChecks } from '../../workflows/rolling-upgrade/status.js';

describe('failedHealthChecks', () => {
  it('names every failing check of a verbose answer, etcd included, and nothing that passes', () => {
    const answer = [
      '[+]ping ok',
      '[+]log ok',
      '[-]etcd failed: reason withheld',
      '[-]etcd-readiness failed: reason withheld',
      '[+]informer-sync ok',
      '[-]poststarthook/rbac/bootstrap-roles failed: not finished',
      'readyz check failed',
    ].join('\n');
    assert.deepEqual(failedHealthChecks(answer), [
      '[-]etcd failed: reason withheld',
      '[-]etcd-readiness failed: reason withheld',
      '[-]poststarthook/rbac/bootstrap-roles failed: not finished',
    ]);
  });

  it('finds nothing in a passing answer, and cuts a strange line short', () => {
    assert.deepEqual(failedHealthChecks('[+]ping ok\n[+]etcd ok\nreadyz check passed\n'), []);
    const [line] = failedHealthChecks(`[-]x failed: ${'y'.repeat(1000)}`);
    assert.ok(line !== undefined && line.length <= 160);
  });
});

describe('leaseProblem', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  const renewedAgo = (s: number, more: Partial<LeaseSpec> = {}): LeaseSpec => ({
    holderIdentity: 'cp-0_1234',
    leaseDurationSeconds: 15,
    renewTime: new Date(now - s * 1000).toISOString().replace('Z', '000Z'), // a MicroTime
    ...more,
  });
  const cases: [string, LeaseSpec | undefined, RegExp | undefined][] = [
    ['renewed just now', renewedAgo(0), undefined],
    ['renewed within its duration and the slack', renewedAgo(15 + LEASE_SLACK_SECONDS), undefined],
    [
      'not renewed past its duration and the slack',
      renewedAgo(16 + LEASE_SLACK_SECONDS),
      /^kube-scheduler has not renewed its leader Lease for 21 s \(lease 15 s, held by cp-0_1234\)$/,
    ],
    ['a longer lease, read with its own duration', renewedAgo(40, { leaseDurationSeconds: 60 }), undefined],
    ['no Lease at all', undefined, /^kube-scheduler: no Lease kube-system\/kube-scheduler \(not running/],
    ['released by its leader', renewedAgo(0, { holderIdentity: '' }), /no leader holds its Lease \(released\)/],
    ['no renewTime', { holderIdentity: 'x' }, /its Lease has no renewTime/],
  ];
  for (const [what, lease, expect] of cases) {
    it(what, () => {
      const problem = leaseProblem('kube-scheduler', lease, now);
      if (expect) assert.match(problem ?? '', expect);
      else assert.equal(problem, undefined);
    });
  }
});

describe('conditionProblems', () => {
  const condition = (type: string, status: string, message?: string): V1NodeCondition => ({ type, status, message });
  const node = (name: string, ...conditions: V1NodeCondition[]): V1Node => ({
    metadata: { name },
    status: { conditions: [condition('Ready', 'True', 'kubelet is posting ready status'), ...conditions] },
  });
  const nodes = [
    node(
      'minion-0',
      condition('MemoryPressure', 'True', 'memory available 90Mi < 100Mi'),
      condition('DiskPressure', 'False', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'True', ''),
    ),
    node('minion-1', condition('NetworkUnavailable', 'True', 'calico is not running on this node')),
    node('minion-2', condition('DiskPressure', 'True', 'nodefs available 5%')),
    node('minion-3', condition('DiskPressure', 'Unknown', 'kubelet stopped posting'), condition('Custom', 'True')),
  ];

  it('names node, condition and message for every pressure or network condition True on the upgraded nodes', () => {
    assert.deepEqual(conditionProblems(nodes, ['minion-0', 'minion-1', 'minion-3']), [
      'minion-0 MemoryPressure: memory available 90Mi < 100Mi',
      'minion-0 PIDPressure: no message',
      'minion-1 NetworkUnavailable: calico is not running on this node',
    ]);
  });

  it('leaves nodes not upgraded to the other checks', () => {
    assert.deepEqual(conditionProblems(nodes, ['minion-3']), []);
    assert.deepEqual(conditionProblems(nodes, []), []);
    assert.deepEqual(conditionProblems(nodes, ['minion-2']), ['minion-2 DiskPressure: nodefs available 5%']);
  });
});

describe('where to look when a check fails', () => {
  it('names a place to look for every check the gate makes, a probe by its URL', () => {
    for (const name of ['api', 'apiserver', 'control-plane', 'nodes', 'node-conditions', 'workloads', 'budgets']) {
      assert.ok((lookAtFor(name) ?? '').length > 20, `${name} has a hint`);
    }
    assert.match(
      lookAtFor('probe https://app.example.com/healthz') ?? '',
      /curl -v https:\/\/app\.example\.com\/healthz/,
    );
    assert.equal(lookAtFor('no-such-check'), undefined);
  });

  it('puts the hint of each failed check into the pause and refusal text', () => {
    const text = failedChecks({
      healthy: false,
      at: '2026-11-30T00:00:00Z',
      checks: [
        { name: 'api', ok: true, detail: 'ok' },
        {
          name: 'budgets',
          ok: false,
          detail: 'budget default/web has 1 healthy, needs 2',
          lookAt: lookAtFor('budgets'),
        },
      ],
    });
    assert.match(text, /^budgets: budget default\/web has 1 healthy, needs 2 \(look at `kubectl -n NS get pdb NAME/);
    assert.ok(!text.includes('api'), 'a passing check is not listed');
  });
});
