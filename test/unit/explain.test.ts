/** The CLI's error line: every reason along the cause chain, once each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { explain } from '../../client/explain.js';

describe('explain', () => {
  it("gives an update failure its validator's reason", () => {
    const reason = ApplicationFailure.nonRetryable('node "no-such-node" is not part of this upgrade', 'BadRequest');
    const err = new Error('Workflow Update failed', { cause: reason });
    assert.equal(explain(err), 'Workflow Update failed: node "no-such-node" is not part of this upgrade');
  });

  it('says a repeated message once, and a plain error as it is', () => {
    const inner = new Error('connection refused');
    assert.equal(
      explain(new Error('cannot connect: connection refused', { cause: inner })),
      'cannot connect: connection refused',
    );
    assert.equal(explain(new Error('unknown cluster "x"')), 'unknown cluster "x"');
    assert.equal(explain('text'), 'text');
  });
});
