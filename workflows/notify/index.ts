/**
 * `notifyWebhooks`: one notification to every webhook of the cluster that wants it, each with its own
 * retries and bound (3 attempts within 30 s). An upgrade starts one per notification as an abandoned
 * child (./notifier.ts), so a slow or failing webhook never holds up or fails the upgrade, and a
 * notification sent as the upgrade ends or continues as new is still delivered. Never fails: what
 * could not be sent is logged and returned.
 */
import { log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { Notification } from '../../model/notify.js';
import { rootCause } from '../cause.js';

const lookup = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** One webhook's delivery: 8 s per attempt (activities/notify), 3 attempts, all within 30 s. */
const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

export interface NotifyResult {
  event: Notification['event'];
  /** "webhook 1 (host, json): HTTP 200" */
  sent: string[];
  /** "webhook 2 (host, slack) answered HTTP 500" */
  failed: string[];
}

export async function notifyWebhooks(notification: Notification): Promise<NotifyResult> {
  const result: NotifyResult = { event: notification.event, sent: [], failed: [] };
  const { cluster, event } = notification;
  let targets: Awaited<ReturnType<Activities['webhooks']>>;
  try {
    targets = (await lookup.webhooks(cluster)).filter((t) => t.events.includes(event));
  } catch (err) {
    result.failed.push(`the webhooks of ${cluster} could not be read: ${rootCause(err)}`);
    log.warn(`notification ${event} of ${cluster} not sent: ${result.failed[0]}`);
    return result;
  }
  const sent = await Promise.allSettled(
    targets.map((t) => delivery.sendWebhook({ cluster, index: t.index, notification })),
  );
  sent.forEach((s, i) => {
    if (s.status === 'fulfilled') result.sent.push(s.value);
    else {
      const why = rootCause(s.reason); // the activity's message names the webhook; a timeout does not
      result.failed.push(why.startsWith('webhook ') ? why : `${targets[i]?.label ?? 'a webhook'}: ${why}`);
    }
  });
  if (result.failed.length > 0)
    log.warn(`notification ${event} of ${cluster} not delivered: ${result.failed.join('; ')}`);
  return result;
}
