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
import type { NodeChildren } from './children.js';
import type { DrainAction, Upgrade } from './state.js';

export function handleMessages(upgrade: Upgrade, children: NodeChildren): void {
  setHandler(pause, (r) => upgrade.pause(r?.reason), { description: DESCRIPTIONS.pause });
  setHandler(
    resume,
    async () => {
      // A blocked drain is a pause too: resume retries it.
      const blocked = upgrade.resume();
      await Promise.all(blocked.map((node) => children.decide(node, { action: 'retry' })));
    },
    { description: DESCRIPTIONS.resume },
  );
  setHandler(
    abort,
    async (r) => {
      upgrade.abort(r?.reason);
      await children.abortAll();
    },
    { description: DESCRIPTIONS.abort },
  );
  setHandler(nodeProgress, (report) => upgrade.report(report), { description: DESCRIPTIONS.nodeProgress });

  const mustBeBlocked = ({ node }: NodeTarget) => {
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
    validator: (req) => {
      mustBeBlocked(req);
      if (req.timeoutSeconds !== undefined && !(typeof req.timeoutSeconds === 'number' && req.timeoutSeconds > 0)) {
        throw ApplicationFailure.nonRetryable('timeoutSeconds must be a number of seconds > 0', Failure.BadRequest);
      }
    },
  });
  setHandler(forceDrain, decide('force', 'deleting the blocking pods of'), {
    description: DESCRIPTIONS.forceDrain,
    validator: mustBeBlocked,
  });
  setHandler(skipNode, decide('skip', 'skipping'), { description: DESCRIPTIONS.skipNode, validator: mustBeBlocked });
}
