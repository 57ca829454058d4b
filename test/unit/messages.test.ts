/** The shapes of operator messages: what pause/resume/abort and the drain decisions accept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeTargetProblem, reasonProblem } from '../../workflows/messages.js';

describe('reasonProblem', () => {
  for (const ok of [undefined, null, {}, { reason: 'change freeze' }]) {
    it(`accepts ${JSON.stringify(ok)}`, () => assert.equal(reasonProblem('pause', ok), undefined));
  }
  for (const bad of ['garbage', 42, [1, 2], { reason: 42 }, { reason: 'x', extra: true }]) {
    it(`refuses ${JSON.stringify(bad)}, saying what it takes`, () =>
      assert.match(reasonProblem('pause', bad) ?? '', /^pause takes no input or \{"reason": "\.\.\."\}, not /));
  }
});

describe('nodeTargetProblem', () => {
  it('accepts a node, and a timeout where one is allowed', () => {
    assert.equal(nodeTargetProblem('forceDrain', { node: 'w-0' }, false), undefined);
    assert.equal(nodeTargetProblem('retryDrain', { node: 'w-0', timeoutSeconds: 30 }, true), undefined);
  });
  it('refuses anything else, naming the input', () => {
    assert.match(
      nodeTargetProblem('forceDrain', 'garbage', false) ?? '',
      /forceDrain takes \{"node": NAME\}, not "garbage"/,
    );
    assert.match(nodeTargetProblem('forceDrain', { node: '' }, false) ?? '', /not \{"node":""\}/);
    assert.match(nodeTargetProblem('skipNode', { node: 'a', timeoutSeconds: 3 }, false) ?? '', /skipNode takes/);
    assert.equal(
      nodeTargetProblem('retryDrain', { node: 'a', timeoutSeconds: -1 }, true),
      'timeoutSeconds must be a number of seconds > 0',
    );
  });
});
