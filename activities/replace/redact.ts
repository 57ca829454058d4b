/**
 * What of a command's output may reach workflow history (anyone with access to the namespace reads
 * it): the last lines, capped, with credential-looking strings replaced by [redacted]. The full output
 * stays on the worker (its log and its state dir).
 */

const R = '[redacted]';

/** Secret-looking words as a key: `password=…`, `api_key: …`, `OS_PASSWORD=…`, `"token": "…"`. */
const SECRET_WORD =
  '(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|key|auth|credentials?|session)';

/** Each pattern with what replaces it, applied in this order. */
const PATTERNS: [RegExp, string][] = [
  // PEM private keys, whole or cut short
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, `${R} private key`],
  // Authorization: Bearer …, Basic …
  [/\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${R}`],
  // user:password@ in a URL
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]+@/gi, `$1:${R}@`],
  // --password X, --os-token=X
  [new RegExp(`(--?[A-Za-z0-9-]*${SECRET_WORD}[A-Za-z0-9-]*)(=|\\s+)(?!-)("[^"]*"|'[^']*'|\\S+)`, 'gi'), `$1$2${R}`],
  // key=value, key: value, "key": "value"
  [
    new RegExp(`([A-Za-z0-9_.-]*${SECRET_WORD}[A-Za-z0-9_.-]*["']?)(\\s*[=:]\\s*)("[^"]*"|'[^']*'|[^\\s,;&]+)`, 'gi'),
    `$1$2${R}`,
  ],
  // AWS access key ids
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, R],
  // JSON Web Tokens (Kubernetes service account tokens among them)
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, R],
  // OpenStack Fernet tokens, GitHub, GitLab and Slack tokens
  [
    /\b(?:gAAAAA[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,})/g,
    R,
  ],
  // any other long run of mixed-case letters and digits (an AWS secret key, a random token); hex digests
  // and UUIDs (one case) stay readable
  [
    /(?<![A-Za-z0-9+/=_-])(?=[A-Za-z0-9+/=_-]*[a-z])(?=[A-Za-z0-9+/=_-]*[A-Z])(?=[A-Za-z0-9+/=_-]*[0-9])[A-Za-z0-9+/=_-]{32,}/g,
    R,
  ],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` with every known secret value and every credential-looking string replaced by [redacted]. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // longest first, so a value that contains another is hidden whole
  for (const value of [...secrets].sort((a, b) => b.length - a.length)) {
    if (value) out = out.replace(new RegExp(escape(value), 'g'), R);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export const TAIL_LINES = 5;
export const TAIL_CHARS = 500;

/** The last non-empty lines of `text`, joined by ` | `, at most TAIL_LINES of them and TAIL_CHARS characters. */
export function tail(text: string, lines = TAIL_LINES, chars = TAIL_CHARS): string {
  const kept = text
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join(' | ');
  return kept.length > chars ? `…${kept.slice(-(chars - 1))}` : kept;
}

/** What a failure message may say of the output: redacted first (a secret is never cut in half), then capped. */
export function outputForHistory(text: string, secrets: readonly string[]): string {
  return tail(redact(text, secrets));
}
