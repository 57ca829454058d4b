/**
 * The upgrade's message handlers (declared in ../control.ts). Signals change the state and are acted on
 * at the next safe point; the drain decisions are updates, refused with a reason when the node is not
 * blocked; every handler only delegates to the state's transitions and to the children.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { Failure } from '../../model/errors.js';
import {
  abort,
  DESCRIPTIONS,
  forceDrain,
  type NodeTarget,
  nodeProgress,
  pause,
  resume,
  retryDrain,
  skipNode,
} from '../control.js';
import { nodeTargetProblem, reasonProblem } from '../messages.js';
import type { NodeChildren } from './children.js';
import type { DrainAction, Upgrade } from './state.js';

export function handleMessages(upgrade: Upgrade, children: NodeChildren): void {
  /** A malformed signal changes nothing; the status says it was refused and why. */
  const wellFormed = (signal: string, input: unknown) => {
    const problem = reasonProblem(signal, input);
    if (problem) upgrade.rejectMessage(problem);
    return problem === undefined;
  };
  setHandler(
    pause,
    (r) => {
      if (wellFormed('pause', r)) upgrade.pause(r?.reason);
    },
    { description: DESCRIPTIONS.pause },
  );
  setHandler(
    resume,
    async (r) => {
      if (!wellFormed('resume', r)) return;
      // A blocked drain is a pause too: resume retries it.
      const blocked = upgrade.resume();
      await Promise.all(blocked.map((node) => children.decide(node, { action: 'retry' })));
    },
    { description: DESCRIPTIONS.resume },
  );
  setHandler(
    abort,
    async (r) => {
      if (!wellFormed('abort', r)) return;
      upgrade.abort(r?.reason);
      await children.abortAll();
    },
    { description: DESCRIPTIONS.abort },
  );
  setHandler(nodeProgress, (report) => upgrade.report(report), { description: DESCRIPTIONS.nodeProgress });

  const mustBeBlocked =
    (update: string, withTimeout = false) =>
    (input: NodeTarget) => {
      const problem = nodeTargetProblem(update, input, withTimeout);
      if (problem) throw ApplicationFailure.nonRetryable(problem, Failure.BadRequest);
      const { node } = input;
      const n = upgrade.node(node);
      if (!n) throw ApplicationFailure.nonRetryable(`node "${node}" is not part of this upgrade`, Failure.BadRequest);
      if (n.step !== 'blocked') {
        const blocked = upgrade.blocked().map((x) => x.name);
        throw ApplicationFailure.nonRetryable(
          `node ${node} is not blocked (it is at step ${n.step}); blocked nodes: ${blocked.join(', ') || 'none'}`,
          Failure.BadRequest,
        );
      }
    };
  const decide =
    (action: DrainAction, message: string) =>
    async (req: NodeTarget & { timeoutSeconds?: number }): Promise<string> => {
      upgrade.decide(req.node, action);
      await children.decide(req.node, { action, timeoutSeconds: req.timeoutSeconds });
      return `${message} ${req.node}`;
    };
  setHandler(retryDrain, decide('retry', 'retrying the drain of'), {
    description: DESCRIPTIONS.retryDrain,
    validator: mustBeBlocked('retryDrain', true),
  });
  setHandler(forceDrain, decide('force', 'deleting the blocking pods of'), {
    description: DESCRIPTIONS.forceDrain,
    validator: mustBeBlocked('forceDrain'),
  });
  setHandler(skipNode, decide('skip', 'skipping'), {
    description: DESCRIPTIONS.skipNode,
    validator: mustBeBlocked('skipNode'),
  });
}
