import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EVICTION_RETRY_S,
  type EstimateInput,
  type EstimateNode,
  type EstimatePod,
  NODE_S,
  RUN_S,
  SHARED_NODE_S,
  STEP_S,
  TERMINATION_POLL_S,
  estimateUpgrade,
  evictionChances,
  upgradeBatches,
} from '../../model/estimate.js';
import { COMMAND_REPLACE_S, replaceTiming } from '../../activities/kube/plan.js';

const node = (name: string, pods: EstimatePod[] = [], extra: Partial<EstimateNode> = {}): EstimateNode => ({
  name,
  role: name.startsWith('m') ? 'control-plane' : 'worker',
  upgrade: true,
  schedulable: !name.startsWith('m'),
  pods,
  daemonPods: false,
  ...extra,
});
const web = (grace = 6): EstimatePod => ({
  workload: 'ReplicaSet/default/web',
  graceSeconds: grace,
  budget: 'default/web',
});

function input(nodes: EstimateNode[], o: Partial<EstimateInput> = {}, options: Partial<EstimateInput['options']> = {}) {
  return {
    nodes,
    budgets: { 'default/web': 1 },
    replace: { seconds: 2, basis: 'the test' },
    podStart: { seconds: 1, basis: 'the test' },
    options: { soakSeconds: 0, maxSurge: 0, maxUnavailable: 1, probes: [], ...options },
    waitsForOperator: 0,
    ...o,
  } satisfies EstimateInput;
}
const seconds = (i: EstimateInput) => estimateUpgrade(i).seconds;
/** One step with no pods: start, the node's steps, the replacement, the gate. */
const emptyStep = (replace = 2) => STEP_S + NODE_S + replace + STEP_S;
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 0.11, `${a} ≈ ${b}`);

describe('estimateUpgrade', () => {
  it('runs the control plane one at a time, then workers in batches; skips nodes at the target', () => {
    const nodes = [node('m0'), node('m1'), node('w0'), node('w1'), node('w2'), node('w3', [], { upgrade: false })];
    const names = (o: Partial<EstimateInput['options']>) =>
      upgradeBatches(nodes, { soakSeconds: 0, maxSurge: 0, maxUnavailable: 1, probes: [], ...o }).map((b) =>
        b.map((n) => n.name),
      );
    assert.deepEqual(names({}), [['m0'], ['m1'], ['w0'], ['w1'], ['w2']]);
    assert.deepEqual(names({ maxUnavailable: 2 }), [['m0'], ['m1'], ['w0', 'w1'], ['w2']]);
    assert.deepEqual(names({ maxUnavailable: '50%' }), [['m0'], ['m1'], ['w0', 'w1'], ['w2']]); // 50% of 4 workers
    assert.deepEqual(names({ maxSurge: 3, maxUnavailable: 1 }), [['m0'], ['m1'], ['w0', 'w1', 'w2']]);
  });

  it('adds up the fixed costs, the replacements and the soaks when nothing is evicted', () => {
    const nodes = [node('m0'), node('w0'), node('w1')];
    close(seconds(input(nodes)), RUN_S + 2 * STEP_S + 3 * emptyStep()); // the pre-flight and the final gate
    // a soak after each of 3 steps and before the final gate
    close(seconds(input(nodes, {}, { soakSeconds: 10 })) - seconds(input(nodes)), 40);
    // two workers at once: one step fewer, the second node sharing the first one's step
    close(seconds(input(nodes)) - seconds(input(nodes, {}, { maxUnavailable: 2 })), emptyStep() - SHARED_NODE_S);
    close(seconds(input(nodes, { replace: { seconds: 120, basis: '' } })) - seconds(input(nodes)), 3 * 118);
  });

  it("waits out an evicted pod's grace period where it runs, and by expectation where it may land", () => {
    const empty = seconds(input([node('w0'), node('w1')]));
    // evicted from w0, it can only land on w1: expected there once, so evicted again with chance 1 - 1/e
    const chances = evictionChances([[node('w0', [web()])], [node('w1')]], [node('w0', [web()]), node('w1')]);
    assert.deepEqual(
      chances.get('ReplicaSet/default/web')?.map((c) => c.toFixed(3)),
      ['1.000', '0.632'],
    );
    close(seconds(input([node('w0', [web()]), node('w1')])) - empty, (6 + TERMINATION_POLL_S) * (1 + 0.632));
    // on the last node to go, nothing follows
    close(seconds(input([node('w0'), node('w1', [web()])])) - empty, 6 + TERMINATION_POLL_S);
    // the slowest pod of a node sets its wait
    const mixed = [web(6), { workload: 'StatefulSet/db/pg', graceSeconds: 30 }];
    close(seconds(input([node('w0'), node('w1', mixed)])) - empty, 30 + TERMINATION_POLL_S);
    // where nothing can take evicted pods, none come back
    const nowhere = [node('w0', [web()]), node('w1', [], { schedulable: false })];
    close(seconds(input(nowhere)) - empty, 6 + TERMINATION_POLL_S);
  });

  it('adds a round for each group of pods a budget does not let go at once', () => {
    const both = [node('w0', [web()]), node('w1', [web()])];
    const apart = seconds(input(both));
    const together = seconds(input(both, {}, { maxUnavailable: 2 }));
    const allowsTwo = seconds(input(both, { budgets: { 'default/web': 2 } }, { maxUnavailable: 2 }));
    close(together - allowsTwo, EVICTION_RETRY_S);
    assert.ok(together < apart, `${together} s together, ${apart} s apart`);
    // a slow start makes each round wait for the replacement to be Ready
    close(seconds(input(both, { podStart: { seconds: 5, basis: '' } }, { maxUnavailable: 2 })) - allowsTwo, 6);
  });

  it('waits at the gate for replicas that start slower than the grace period, and for DaemonSet pods', () => {
    const nodes = [node('w0'), node('w1', [web(5)])];
    const quick = seconds(input(nodes));
    close(seconds(input(nodes, { podStart: { seconds: 20, basis: '' } })) - quick, 15);
    const daemons = [node('w0', [], { daemonPods: true })];
    close(seconds(input(daemons, { podStart: { seconds: 20, basis: '' } })) - seconds(input(daemons)), 19);
  });

  it('counts probes at every gate', () => {
    const nodes = [node('w0')];
    const probes = [{ url: 'http://x', successes: 3, intervalMs: 2000 }];
    // 2 gates (pre-flight, after w0) + the final one, each 3 answers 2 s apart
    close(seconds(input(nodes, {}, { probes })) - seconds(input(nodes)), 3 * (4 + 0.3));
  });

  it('says what it assumes', () => {
    const { assumes } = estimateUpgrade(
      input([node('m0'), node('w0', [web()])], { waitsForOperator: 1 }, { soakSeconds: 30, maxUnavailable: 1 }),
    );
    const text = assumes.join('\n');
    assert.match(text, /2 node\(s\) in 2 step\(s\): 1 control-plane node\(s\) one at a time, 1 batch\(es\) of workers/);
    assert.match(text, /a replacement takes 2 s \(the test\)/);
    assert.match(text, /whole grace period/);
    assert.match(text, /Ready after 1 s/);
    assert.match(text, /a soak of 30 s/);
    assert.match(text, /no time waiting for an operator \(1 drain/);
  });
});

describe('replaceTiming', () => {
  it("takes the kwok provider's delay, and assumes a command's time within its timeout", () => {
    assert.deepEqual(replaceTiming({ provider: 'kwok', delaySeconds: 2 }), {
      seconds: 2,
      basis: "the kwok provider's delaySeconds",
    });
    const command = { provider: 'command' as const, command: 'true' };
    const long = replaceTiming({ ...command, timeoutSeconds: 1800 } as Parameters<typeof replaceTiming>[0]);
    assert.equal(long.seconds, COMMAND_REPLACE_S);
    assert.match(long.basis, /assumed for a command provider/);
    const short = replaceTiming({ ...command, timeoutSeconds: 30 } as Parameters<typeof replaceTiming>[0]);
    assert.equal(short.seconds, 30);
    assert.match(short.basis, /cut to its timeoutSeconds/);
  });
});
