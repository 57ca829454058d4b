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

const REPLACE = { seconds: 10, basis: "the test's" };
const plan = (o: Partial<UpgradeOptions>) =>
  planUpgrade(kube(), 'v1.11.9', 'v1.12.7', { ...DEFAULTS, ...o }, REPLACE).then((p) => p.estimateSeconds);

before(async () => await seed(clusterOptions()));

describe('planUpgrade', () => {
  it('upgrades the control plane first, then the workers', async () => {
    const p = await planUpgrade(kube(), 'v1.11.9', 'v1.12.7', DEFAULTS, REPLACE);
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
    // two fewer worker steps, each of at least the replacement (10 s)
    assert.ok(oneByOne - allAtOnce >= 2 * REPLACE.seconds, `${oneByOne} - ${allAtOnce}`);
    assert.equal(await plan({ maxUnavailable: '100%' }), allAtOnce);
    assert.equal(await plan({ maxUnavailable: '34%' }), oneByOne); // 34% of 3 workers is 1
    assert.equal(await plan({ maxSurge: 3, maxUnavailable: 1 }), allAtOnce);
    // a soak after each of 6 steps one by one, of 4 steps (3 control plane, 1 batch) all at once, and
    // one before the final gate
    assert.equal((await plan({ maxUnavailable: 1, soakSeconds: 10 })) - oneByOne, 70);
    assert.equal((await plan({ maxUnavailable: 3, soakSeconds: 10 })) - allAtOnce, 50);
  });

  it("says what its estimate assumes, with the pods' start read from the cluster", async () => {
    const p = await planUpgrade(kube(), 'v1.11.9', 'v1.12.7', { ...DEFAULTS, soakSeconds: 5 }, REPLACE);
    const assumed = (p.estimateAssumes ?? []).join('\n');
    assert.match(
      assumed,
      /6 node\(s\) in 6 step\(s\): 3 control-plane node\(s\) one at a time, 3 batch\(es\) of workers/,
    );
    assert.match(assumed, /a replacement takes 10 s \(the test's\)/);
    // kwok makes pods Ready 1 s after they are scheduled (K8S_RU_POD_READY_MS); the API shows whole seconds
    assert.match(
      assumed,
      /its replacement is Ready after [0-2] s \(the median of \d+ running pods, scheduled to Ready\)/,
    );
    assert.match(assumed, /a soak of 5 s/);
  });
});
