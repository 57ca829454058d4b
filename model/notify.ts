/**
 * Webhook notifications: what a cluster's catalogue entry may declare under `notify:` (a valibot schema
 * with messages naming the webhook and the field) and what a notification carries. Plain JSON: the
 * workflow hands a `Notification` (never a URL) to the activity that resolves the cluster's webhooks.
 */
import * as v from 'valibot';

/** The moments an upgrade tells its webhooks about, in the order they usually come. */
export const NOTIFY_EVENTS = [
  'started',
  'paused',
  'drain-blocked',
  'waiting-for-window',
  'gate-failed',
  'failed',
  'aborted',
  'completed',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** `json`: the generic body (README: "Webhook notifications"); `slack`: `{ text, blocks }`. */
export const NOTIFY_FORMATS = ['json', 'slack'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** One webhook of a cluster: where (a URL, or the worker's variable holding one), how, and for what. */
export interface Webhook {
  /** the URL as written: `${VAR}` and `${VAR:-default}` are expanded on the worker when it sends */
  url?: string;
  /** the worker's environment variable holding the whole URL (a secret kept out of the file) */
  urlFrom?: string;
  format: NotifyFormat;
  /** the events it wants; all when absent */
  events?: NotifyEvent[];
}

/** What the workflow says happened; the activity turns it into each webhook's body. */
export interface Notification {
  event: NotifyEvent;
  cluster: string;
  upgradeId: string;
  fromVersion?: string;
  toVersion?: string;
  /** one line a person can act on */
  message: string;
  /** the facts behind it (pods and budgets, checks, window times...), plain JSON */
  details: Record<string, unknown>;
  /** ISO time (workflow time) */
  time: string;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `${NAME}` or `${NAME:-default}`, as load.ts expands them */
export const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `url` (as written, before expansion) is not a webhook URL, if it is not. */
export function urlProblem(url: string): string | undefined {
  const bare = url.replace(PLACEHOLDER, 'x');
  if (bare.includes('${')) return 'has a "${" that is not ${NAME} or ${NAME:-default}';
  if (bare !== url) return /^(https?:\/\/|\$\{)/i.test(url) ? undefined : 'must start with http:// or https://';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL';
}

const KEYS = ['url', 'urlFrom', 'format', 'events'];

/** The problems of one `notify` entry (`at` names it: notify[0]), or the webhook it declares. */
function webhook(entry: unknown, at: string): { problems: string[]; webhook?: Webhook } {
  if (!isMap(entry)) return { problems: [`${at} must be a map with "url" or "urlFrom"`] };
  const problems: string[] = [];
  for (const key of Object.keys(entry))
    if (!KEYS.includes(key)) problems.push(`${at}: unknown field "${key}" (fields: ${KEYS.join(', ')})`);
  const { url, urlFrom, format = 'json', events } = entry;
  if ((url === undefined || url === null) === (urlFrom === undefined || urlFrom === null))
    problems.push(`${at} needs exactly one of "url" and "urlFrom" (a variable of the worker holding the URL)`);
  if (url !== undefined && url !== null) {
    const problem = typeof url === 'string' && url !== '' ? urlProblem(url) : 'must be a non-empty string';
    if (problem) problems.push(`${at}.url ${problem}`);
  }
  if (urlFrom !== undefined && urlFrom !== null && (typeof urlFrom !== 'string' || !VARIABLE.test(urlFrom)))
    problems.push(`${at}.urlFrom must be a variable name (letters, digits and _, not starting with a digit)`);
  if (!(NOTIFY_FORMATS as readonly unknown[]).includes(format))
    problems.push(`${at}.format must be one of ${NOTIFY_FORMATS.join(', ')} (got ${String(format)})`);
  if (events !== undefined && events !== null) {
    if (!Array.isArray(events) || events.length === 0)
      problems.push(
        `${at}.events must be a non-empty list of events (${NOTIFY_EVENTS.join(', ')}); leave it out for all`,
      );
    else
      for (const e of events)
        if (!(NOTIFY_EVENTS as readonly unknown[]).includes(e))
          problems.push(`${at}.events: "${String(e)}" is not an event (${NOTIFY_EVENTS.join(', ')})`);
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    webhook: {
      ...(typeof url === 'string' ? { url } : { urlFrom: urlFrom as string }),
      format: format as NotifyFormat,
      ...(Array.isArray(events) ? { events: [...new Set(events as NotifyEvent[])] } : {}),
    },
  };
}

/** A cluster's `notify:` list (absent or empty: no webhooks). */
export const NotifySchema = v.pipe(
  v.nullish(v.unknown(), null), // a missing `notify` is judged too (as none)
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const value = dataset.value;
    if (value === undefined || value === null) return [] as Webhook[];
    if (!Array.isArray(value)) {
      addIssue({ message: '"notify" must be a list of webhooks ({ url | urlFrom, format, events })' });
      return NEVER;
    }
    const checked = value.map((entry, i) => webhook(entry, `notify[${i}]`));
    const problems = checked.flatMap((c) => c.problems);
    for (const message of problems) addIssue({ message });
    return problems.length > 0 ? NEVER : checked.map((c) => c.webhook as Webhook);
  }),
);

/** Whether `hook` wants `event`. */
export const wants = (hook: Webhook, event: NotifyEvent): boolean => !hook.events || hook.events.includes(event);
