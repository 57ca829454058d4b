/** The parent's bookkeeping of child reports: out-of-order reports, counts and the UI's details. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpgradeStatus } from '../../model/status.js';
import { applyReport, details } from '../../workflows/progress.js';

function status(): UpgradeStatus {
  return {
    workflowId: 'upgrade-c',
    cluster: 'c',
    toTemplate: 't',
    fromVersion: 'v1.11.9',
    toVersion: 'v1.12.7',
    clusterStatus: 'UPDATE_IN_PROGRESS',
    phase: 'upgrading',
    abortRequested: false,
    nodes: [
      { name: 'a', role: 'worker', version: 'v1.11.9', step: 'pending', cordoned: false },
      { name: 'b', role: 'worker', version: 'v1.11.9', step: 'pending', cordoned: false },
    ],
    current: [],
    done: 0,
    remaining: 2,
    errors: [],
    warnings: [],
  };
}

describe('progress reports', () => {
  it('ignores a report that arrives after a newer one from the same child', () => {
    const s = status();
    applyReport(s, { name: 'a', seq: 1, step: 'cordon', cordoned: true });
    applyReport(s, { name: 'a', seq: 3, step: 'done', cordoned: false, version: 'v1.12.7' });
    applyReport(s, { name: 'a', seq: 2, step: 'drain', podsLeft: 4 });
    assert.equal(s.nodes[0]?.step, 'done');
    assert.equal(s.nodes[0]?.podsLeft, undefined);
    assert.equal(s.done, 1);
    assert.equal(s.remaining, 1);
  });

  it('applies reports without a sequence number in arrival order (histories from before it)', () => {
    const s = status();
    applyReport(s, { name: 'b', step: 'drain' });
    applyReport(s, { name: 'b', step: 'replace' });
    assert.equal(s.nodes[1]?.step, 'replace');
    assert.deepEqual(s.current, ['b']);
  });

  it('shows node k of n, its step and what blocks it, on separate markdown lines', () => {
    const s = status();
    applyReport(s, {
      name: 'b',
      seq: 1,
      step: 'blocked',
      podsLeft: 1,
      blocked: [{ pod: 'default/nginx-1', reason: 'budget', message: 'nginx-pdb allows 0 disruptions' }],
    });
    const text = details(s);
    assert.match(text, /^\*\*c\*\*: v1\.11\.9 → v1\.12\.7 — phase \*\*upgrading\*\*\n\nnodes done 0 of 2\n\n/);
    assert.match(
      text,
      /- node 2 of 2 \*\*b\*\*: blocked, 1 pod\(s\) left; blocked: default\/nginx-1 \(nginx-pdb allows 0 disruptions\)/,
    );
  });
});
