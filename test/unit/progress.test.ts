/** The parent's bookkeeping of child reports: out-of-order reports, counts and the UI's details. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { details } from '../../workflows/rolling-upgrade/display.js';
import { Upgrade } from '../../workflows/rolling-upgrade/state.js';
import { plannedUpgrade } from '../support/upgrade-state.js';

function status(): Upgrade {
  return plannedUpgrade(['a', 'b']);
}

describe('progress reports', () => {
  it('ignores a report that arrives after a newer one from the same child', () => {
    const s = status();
    s.report({ name: 'a', seq: 1, step: 'cordon', cordoned: true });
    s.report({ name: 'a', seq: 3, step: 'done', cordoned: false, version: 'v1.12.7' });
    s.report({ name: 'a', seq: 2, step: 'drain', podsLeft: 4 });
    const v = s.view();
    assert.equal(v.nodes[0]?.step, 'done');
    assert.equal(v.nodes[0]?.podsLeft, undefined);
    assert.equal(v.done, 1);
    assert.equal(v.remaining, 1);
  });

  it('applies reports without a sequence number in arrival order', () => {
    const s = status();
    s.report({ name: 'b', step: 'drain' });
    s.report({ name: 'b', step: 'replace' });
    assert.equal(s.view().nodes[1]?.step, 'replace');
    assert.deepEqual(s.view().current, ['b']);
  });

  it('shows node k of n, its step and what blocks it, on separate markdown lines', () => {
    const s = status();
    s.report({
      name: 'b',
      seq: 1,
      step: 'blocked',
      podsLeft: 1,
      blocked: [{ pod: 'default/nginx-1', reason: 'budget', message: 'nginx-pdb allows 0 disruptions' }],
    });
    const text = details(s.view());
    assert.match(text, /^\*\*c\*\*: v1\.11\.9 → v1\.12\.7 — phase \*\*paused\*\* \(drain blocked on b: /);
    // The details of a status as given, whatever derived it.
    assert.match(
      details({ ...s.view(), phase: 'upgrading', pausedReason: undefined }),
      /^\*\*c\*\*: v1\.11\.9 → v1\.12\.7 — phase \*\*upgrading\*\*\n\nnodes done 0 of 2\n\n/,
    );
    assert.match(text, /\n\nnodes done 0 of 2\n\n/);
    assert.match(
      text,
      /- node 2 of 2 \*\*b\*\*: blocked, 1 pod\(s\) left; blocked: default\/nginx-1 \(nginx-pdb allows 0 disruptions\)/,
    );
  });
});
