/**
 * The upgrade's message handlers (declared in ../control.ts). Signals change the state and are acted on
 * at the next safe point; the drain decisions are updates, refused with a reason when the node is not
 * blocked; every handler only delegates to the state's transitions and to the children.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { Failure } from '../../model/errors.js';
import {
  abort,
  apiReach,
  DESCRIPTIONS,
  forceDrain,
  type NodeTarget,
  nodeProgress,
  pause,
  resume,
  retryDrain,
  retryReplace,
  skipNode,
} from '../control.js';
import { nodeTargetProblem, reasonProblem } from '../messages.js';
import type { NodeStep } from '../../model/status.js';
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
  setHandler(
    apiReach,
    (r) => {
      if (typeof r?.reachable !== 'boolean') return;
      if (r.reachable) upgrade.reachable();
      else upgrade.unreachable({ since: String(r.at), attempt: Number(r.attempt), message: String(r.message) });
    },
    { description: DESCRIPTIONS.apiReach },
  );

  /** A validator: the update applies only to a node parked at one of `steps`. */
  const mustBeAt =
    (update: string, steps: NodeStep[], withTimeout = false) =>
    (input: NodeTarget) => {
      const problem = nodeTargetProblem(update, input, withTimeout);
      if (problem) throw ApplicationFailure.nonRetryable(problem, Failure.BadRequest);
      const { node } = input;
      const n = upgrade.node(node);
      if (!n) throw ApplicationFailure.nonRetryable(`node "${node}" is not part of this upgrade`, Failure.BadRequest);
      if (!steps.includes(n.step)) {
        const parked = upgrade.parked().filter((x) => steps.includes(x.step));
        const what = steps.includes('blocked') ? 'blocked' : 'waiting after a failed replacement';
        const which = steps.includes('blocked') ? 'blocked nodes' : 'nodes whose replacement failed';
        throw ApplicationFailure.nonRetryable(
          `node ${node} is not ${what} (it is at step ${n.step}); ${which}: ${parked.map((x) => x.name).join(', ') || 'none'}`,
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
    validator: mustBeAt('retryDrain', ['blocked'], true),
  });
  setHandler(forceDrain, decide('force', 'deleting the blocking pods of'), {
    description: DESCRIPTIONS.forceDrain,
    validator: mustBeAt('forceDrain', ['blocked']),
  });
  setHandler(skipNode, decide('skip', 'skipping'), {
    description: DESCRIPTIONS.skipNode,
    validator: mustBeAt('skipNode', ['blocked', 'replace-failed']),
  });
  setHandler(retryReplace, decide('retry-replace', 'replacing again'), {
    description: DESCRIPTIONS.retryReplace,
    validator: mustBeAt('retryReplace', ['replace-failed']),
  });
}
