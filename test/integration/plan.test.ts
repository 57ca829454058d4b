/**
 * The pre-flight plan on the seeded local cluster: control plane first, and an estimate that follows
 * the batches the workflow will run (maxUnavailable as a count or a percentage, maxSurge, soak).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { planUpgrade } from '../../activities/kube/plan.js';
import { DEFAULTS, type UpgradeOptions } from '../../model/upgrade.js';
import { clusterOptions, seed } from '../../localcluster/cluster.js';
import { kube, MASTERS, WORKERS } from './support.js';

const plan = (o: Partial<UpgradeOptions>) =>
  planUpgrade(kube(), 'v1.11.9', 'v1.12.7', { ...DEFAULTS, ...o }, 10).then((p) => p.estimateSeconds);

before(async () => await seed(clusterOptions()));

describe('planUpgrade', () => {
  it('upgrades the control plane first, then the workers', async () => {
    const p = await planUpgrade(kube(), 'v1.11.9', 'v1.12.7', DEFAULTS, 10);
    assert.deepEqual(
      p.nodes.map((n) => [n.name, n.role, n.action]),
      [...MASTERS.map((m) => [m, 'control-plane', 'upgrade']), ...WORKERS.map((w) => [w, 'worker', 'upgrade'])],
    );
  });

  it('estimates by batch: workers at once take as long as the slowest of them', async () => {
    assert.equal(WORKERS.length, 3);
    const oneByOne = await plan({ maxUnavailable: 1 });
    const allAtOnce = await plan({ maxUnavailable: 3 });
    assert.ok(allAtOnce < oneByOne, `${allAtOnce} s with 3 at once, ${oneByOne} s one by one`);
    // two fewer worker steps of at least the replacement (10 s) and ~5 s of steps each
    assert.ok(oneByOne - allAtOnce >= 2 * 15, `${oneByOne} - ${allAtOnce}`);
    assert.equal(await plan({ maxUnavailable: '100%' }), allAtOnce);
    assert.equal(await plan({ maxUnavailable: '34%' }), oneByOne); // 34% of 3 workers is 1
    assert.equal(await plan({ maxSurge: 3, maxUnavailable: 1 }), allAtOnce);
    // a soak after each of 6 steps one by one, of 4 steps (3 control plane, 1 batch) all at once
    assert.equal((await plan({ maxUnavailable: 1, soakSeconds: 10 })) - oneByOne, 60);
    assert.equal((await plan({ maxUnavailable: 3, soakSeconds: 10 })) - allAtOnce, 40);
  });
});
