/**
 * Sending one notification to one webhook: its URL resolved on the worker at the moment of sending (from
 * the catalogue's text with ${VAR} expanded, or whole from `urlFrom`), so no URL ever enters workflow
 * history; one POST with a timeout; the answer classified for Temporal's retries. Messages name the
 * webhook by number and host, never by its URL (a Slack URL is a secret in its path).
 */
import { ApplicationFailure } from '@temporalio/common';
import { type Notification, PLACEHOLDER, type Webhook } from '../../model/notify.js';
import { body } from './payload.js';

/** The failure type of a webhook that did not take a notification. */
export const WEBHOOK_FAILED = 'WebhookFailed';

/** The URL the webhook names now, or an error saying what is missing (never a value). */
export function resolveUrl(hook: Webhook, env: NodeJS.ProcessEnv = process.env): string {
  let url: string;
  if (hook.urlFrom) {
    url = env[hook.urlFrom] ?? '';
    if (!url) throw new Error(`environment variable ${hook.urlFrom} (urlFrom) is not set on the worker`);
  } else {
    url = (hook.url ?? '').replace(PLACEHOLDER, (_, name: string, fallback?: string) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new Error(`environment variable ${name} (in its url) is not set on the worker`);
    });
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const from = hook.urlFrom ? `the value of ${hook.urlFrom}` : 'its url with the variables expanded';
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new Error(`${from} is not an http:// or https:// URL`);
  }
  // fetch refuses them with the whole URL in its message, which would reach logs and history
  if (parsed.username || parsed.password) {
    throw new Error(`${from} has credentials (user:password@) in it, which are not sent: put a token in its path`);
  }
  return url;
}

/** "webhook 2 (hooks.slack.com, slack)": how messages and logs name a webhook. */
export function webhookLabel(index: number, hook: Webhook, url?: string): string {
  let where = hook.urlFrom ? `$${hook.urlFrom}` : 'url';
  try {
    if (url) where = new URL(url).host;
  } catch {
    // named by its variable
  }
  return `webhook ${index + 1} (${where}, ${hook.format})`;
}

/** `text` with the URL (and its path, where secrets such as a Slack token live) left out. */
function withoutUrl(text: string, url: string): string {
  const { pathname, search } = new URL(url);
  let out = text.split(url).join('<the webhook URL>');
  for (const secret of [pathname + search, pathname].filter((p) => p.length > 1))
    out = out.split(secret).join('<path>');
  return out;
}

/** Statuses worth another attempt: the receiver is busy or broken for now. */
const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

/** Posts `notification` in the webhook's format; throws a classified ApplicationFailure. */
export async function sendNotification(
  hook: Webhook,
  index: number,
  notification: Notification,
  { timeoutMs, signal, env }: { timeoutMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<string> {
  let url: string;
  try {
    url = resolveUrl(hook, env);
  } catch (err) {
    const message = `${webhookLabel(index, hook)}: ${(err as Error).message}`;
    throw ApplicationFailure.nonRetryable(message, WEBHOOK_FAILED);
  }
  const label = webhookLabel(index, hook, url);
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'k8s-rolling-upgrade' },
      body: JSON.stringify(body(hook.format, notification)),
      redirect: 'manual', // a redirect would carry the notification to a host nobody declared
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    const why = timeout.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : String((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
    throw ApplicationFailure.retryable(`${label}: ${withoutUrl(why, url)}`, WEBHOOK_FAILED);
  }
  // Only the status counts: the body is not read (a receiver answering with an endless or huge body
  // would hold the attempt until its timeout and fill the worker's memory meanwhile).
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return `${label}: HTTP ${response.status}`;
  const message = `${label} answered HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (a redirect: give the final URL)' : ''}`;
  if (!RETRYABLE(response.status)) throw ApplicationFailure.nonRetryable(message, WEBHOOK_FAILED);
  const after = Number(response.headers.get('retry-after'));
  throw ApplicationFailure.create({
    message,
    type: WEBHOOK_FAILED,
    ...(after > 0 ? { nextRetryDelay: `${Math.min(after, 10)}s` } : {}), // Retry-After, within the bound
  });
}
