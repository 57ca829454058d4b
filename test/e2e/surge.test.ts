/**
 * maxSurge on the real local cluster: each worker is replaced by a new node registered and Ready at
 * the new version before the old one is drained and retired, so schedulable worker capacity never
 * drops below where it started and the replicated service never stops answering.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { watchAvailability } from '../../localcluster/availability.js';
import {
  closeHarness,
  freshCluster,
  harness,
  type Harness,
  kubeconfig,
  nginxNodes,
  nodes,
  resultWithin,
  startUpgrade,
} from './support.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => await closeHarness(h));
beforeEach(async () => await freshCluster());

/** Samples the schedulable, Ready workers until stopped; returns the fewest seen. */
function watchCapacity(): { stop(): Promise<number> } {
  let fewest = Number.POSITIVE_INFINITY;
  let running = true;
  const loop = (async () => {
    while (running) {
      const workers = (await nodes()).filter((n) => n.role === 'worker' && n.ready && !n.unschedulable);
      fewest = Math.min(fewest, workers.length);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return fewest;
    },
  };
}

describe('upgrade by surge (maxSurge)', () => {
  it('registers each new worker before draining the old one, and retires the old', async () => {
    const before = await nodes();
    const oldWorkers = before.filter((n) => n.role === 'worker').map((n) => n.name);
    const controlPlane = before.filter((n) => n.role === 'control-plane').map((n) => n.name);
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig());
    const availability = await watchAvailability(config, {
      namespace: 'default',
      selector: 'app=nginx',
      service: 'nginx-service',
      minAvailable: 1,
    });
    const capacity = watchCapacity();

    const final = await resultWithin(await startUpgrade(h, { maxSurge: 1 }));
    const fewestWorkers = await capacity.stop();
    await availability.stop();

    assert.equal(final.phase, 'completed', final.errors.join('; '));
    const after = await nodes();
    const names = after.map((n) => n.name).sort();
    const surged = oldWorkers.map((n) => `${n}-v1-12-7`);
    assert.deepEqual(names, [...controlPlane, ...surged].sort(), 'control plane in place, every worker replaced');
    for (const n of after) {
      assert.equal(n.kubeletVersion, 'v1.12.7', n.name);
      assert.equal(n.unschedulable, false, `${n.name} left cordoned`);
      assert.equal(n.ready, true, n.name);
    }
    for (const old of oldWorkers) {
      const p = final.nodes.find((n) => n.name === old);
      assert.equal(p?.replacedBy, `${old}-v1-12-7`);
      assert.equal(p?.version, 'v1.12.7');
    }
    assert.ok(fewestWorkers >= oldWorkers.length, `schedulable workers fell to ${fewestWorkers}`);
    assert.ok(
      (await nginxNodes()).every((n) => surged.includes(n)),
      'nginx runs on the new workers',
    );
    assert.equal(availability.failed, 0, availability.failures.join('\n'));
  });
});
