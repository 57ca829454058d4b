/**
 * The bodies a webhook receives (README: "Webhook notifications"): the generic JSON body, and a
 * Slack-compatible one (`text` for notifications and clients without blocks, `blocks` for the rest).
 */
import type { Notification, NotifyEvent, NotifyFormat } from '../../model/notify.js';

/** The generic body's schema id: a receiver can tell the shape it is reading. */
export const NOTIFICATION_SCHEMA = 'k8s-rolling-upgrade/notification/v1';

export interface JsonNotification {
  schema: typeof NOTIFICATION_SCHEMA;
  event: NotifyEvent;
  cluster: string;
  upgradeId: string;
  fromVersion: string | null;
  toVersion: string | null;
  message: string;
  details: Record<string, unknown>;
  time: string;
}

export function jsonBody(n: Notification): JsonNotification {
  return {
    schema: NOTIFICATION_SCHEMA,
    event: n.event,
    cluster: n.cluster,
    upgradeId: n.upgradeId,
    fromVersion: n.fromVersion ?? null,
    toVersion: n.toVersion ?? null,
    message: n.message,
    details: n.details,
    time: n.time,
  };
}

const HEADLINE: Record<NotifyEvent, string> = {
  started: ':arrow_forward: Upgrade started',
  paused: ':double_vertical_bar: Upgrade paused',
  'drain-blocked': ':warning: Drain blocked',
  'waiting-for-window': ':clock3: Waiting for a maintenance window',
  'gate-failed': ':warning: Health gate failed',
  failed: ':x: Upgrade failed',
  aborted: ':stop_sign: Upgrade aborted',
  completed: ':white_check_mark: Upgrade completed',
};

/** Slack's mrkdwn: &, < and > are its control characters. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface SlackNotification {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; elements?: { type: string; text: string }[] }[];
}

export function slackBody(n: Notification): SlackNotification {
  const versions = n.fromVersion && n.toVersion ? ` ${n.fromVersion} → ${n.toVersion}` : '';
  const title = `${HEADLINE[n.event]}: ${n.cluster}${versions}`;
  return {
    text: escape(`${title}: ${n.message}`),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escape(title)}*\n${escape(n.message).slice(0, 2900)}` } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: escape(`upgrade ${n.upgradeId} · ${n.event} · ${n.time}`) }],
      },
    ],
  };
}

export function body(format: NotifyFormat, n: Notification): JsonNotification | SlackNotification {
  return format === 'slack' ? slackBody(n) : jsonBody(n);
}
