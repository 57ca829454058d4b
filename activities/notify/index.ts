/**
 * The activities that tell people and tools about an upgrade: the cluster's webhooks (listed by number,
 * without their URLs), one notification sent to one webhook, and the Node Events. None of them ever
 * fails an upgrade: a webhook's failure ends its own small workflow (workflows/notify), an Event that
 * cannot be written is logged and reported as such.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Catalogue } from '../../model/catalogue.js';
import { type Notification, type NotifyEvent, NOTIFY_EVENTS, wants } from '../../model/notify.js';
import { findCluster } from '../catalogue/load.js';
import type { Kube } from '../kube/client.js';
import { nodeEventFailure, type NodeEventRequest, type NodeEventWritten, writeNodeEvent } from '../kube/events.js';
import { sendNotification, WEBHOOK_FAILED, webhookLabel } from './send.js';

/** One attempt's bound; the workflow's retry policy bounds them all (workflows/notify). */
const ATTEMPT_TIMEOUT_MS = 8_000;

export interface WebhookTarget {
  index: number;
  /** "webhook 1 (url, slack)": no URL */
  label: string;
  events: NotifyEvent[];
}

export function notifyActivities(catalogue: () => Catalogue, kubeFor: (cluster: string) => Kube) {
  const hooksOf = (cluster: string) => {
    try {
      return findCluster(catalogue(), cluster).notify ?? [];
    } catch {
      return []; // a cluster not in the catalogue has no webhooks
    }
  };
  return {
    /** The cluster's webhooks and the events each wants (an unknown cluster has none). */
    async webhooks(cluster: string): Promise<WebhookTarget[]> {
      return hooksOf(cluster).map((hook, index) => ({
        index,
        label: webhookLabel(index, hook),
        events: NOTIFY_EVENTS.filter((e) => wants(hook, e)),
      }));
    },

    /** Sends `notification` to the cluster's webhook number `index` (if it still wants that event). */
    async sendWebhook(input: { cluster: string; index: number; notification: Notification }): Promise<string> {
      const hook = hooksOf(input.cluster)[input.index];
      if (!hook || !wants(hook, input.notification.event)) {
        return `webhook ${input.index + 1} of ${input.cluster} no longer wants ${input.notification.event}: not sent`;
      }
      try {
        return await sendNotification(hook, input.index, input.notification, {
          timeoutMs: ATTEMPT_TIMEOUT_MS,
          signal: Context.current().cancellationSignal,
        });
      } catch (err) {
        const { attempt } = Context.current().info;
        log.warn(
          `notification ${input.notification.event} of ${input.cluster}, attempt ${attempt}: ${(err as Error).message}`,
        );
        throw err instanceof ApplicationFailure ? err : ApplicationFailure.retryable(String(err), WEBHOOK_FAILED);
      }
    },

    /** Writes the step's Event on the Node; a failure is logged and returned, never thrown. */
    async nodeEvent(input: { cluster: string } & NodeEventRequest): Promise<NodeEventWritten> {
      const { info } = Context.current();
      const emission = `${info.workflowExecution?.runId ?? ''}/${info.activityId}`;
      try {
        return await writeNodeEvent(kubeFor(input.cluster), input, emission);
      } catch (err) {
        const failed = nodeEventFailure(err, input);
        log.warn(failed);
        return { failed };
      }
    },
  };
}
