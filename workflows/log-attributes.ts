/**
 * A workflow interceptor module (bundled with the workflows, worker/worker.ts): every log line a
 * workflow writes through `log` from @temporalio/workflow carries the cluster, the upgrade id and the
 * node it works on, read from the workflow's input (an upgrade's request, a node's input).
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { workflowInfo } from '@temporalio/workflow';

export interface LogSubject {
  cluster?: string;
  upgradeId?: string;
  node?: string;
}

function subjectOf(arg: unknown): LogSubject {
  const input = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    cluster: text(input.cluster),
    upgradeId: text(input.upgradeId) ?? workflowInfo().workflowId,
    node: text(input.node),
  };
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let subject: LogSubject = {};
  return {
    inbound: [
      {
        async execute(input, next) {
          subject = subjectOf(input.args[0]);
          return await next(input);
        },
      },
    ],
    outbound: [
      {
        getLogAttributes(input, next) {
          return next({ ...subject, ...input });
        },
      },
    ],
  };
};
