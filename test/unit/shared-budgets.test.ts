/** sharedBudgets: one read of the budgets serves every drain of a cluster for a second. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Kube } from '../../activities/kube/client.js';
import { BUDGETS_FRESH_MS, sharedBudgets } from '../../activities/kube/drain.js';

/** A cluster whose budget list counts its reads; `fail` makes the next read fail. */
function cluster() {
  const state = { reads: 0, fail: false };
  const kube = {
    cluster: 'c',
    policy: {
      listPodDisruptionBudgetForAllNamespaces: () => {
        state.reads++;
        if (state.fail) {
          state.fail = false;
          return Promise.reject(new Error('connection refused'));
        }
        const pdb: V1PodDisruptionBudget = { metadata: { name: `pdb-${state.reads}`, namespace: 'default' } };
        return Promise.resolve({ items: [pdb] });
      },
    },
  } as unknown as Kube;
  return { kube, state };
}

describe('sharedBudgets', () => {
  it('reads once for drains asking at the same time, again once the read is a second old', async () => {
    const { kube, state } = cluster();
    const t = 1_000_000;
    const first = await Promise.all([
      sharedBudgets(kube, t),
      sharedBudgets(kube, t + 10),
      sharedBudgets(kube, t + 999),
    ]);
    assert.equal(state.reads, 1);
    assert.deepEqual(
      first.map((l) => l[0]?.metadata?.name),
      ['pdb-1', 'pdb-1', 'pdb-1'],
    );
    const later = await sharedBudgets(kube, t + BUDGETS_FRESH_MS);
    assert.equal(state.reads, 2);
    assert.equal(later[0]?.metadata?.name, 'pdb-2');
  });

  it('keeps each cluster apart and does not keep a failed read', async () => {
    const a = cluster();
    const b = cluster();
    const t = 2_000_000;
    await sharedBudgets(a.kube, t);
    await sharedBudgets(b.kube, t);
    assert.equal(a.state.reads + b.state.reads, 2);
    const c = cluster();
    c.state.fail = true;
    await assert.rejects(sharedBudgets(c.kube, t), /connection refused/);
    const retried = await sharedBudgets(c.kube, t + 1);
    assert.equal(c.state.reads, 2);
    assert.equal(retried[0]?.metadata?.name, 'pdb-2');
  });
});
