/**
 * The API server's own health checks: `/readyz?verbose` and `/livez?verbose` list each one
 * (`[+]etcd ok`, `[-]etcd failed: reason withheld`), and every failing one is named. An API server
 * older than 1.16 serves neither (404): its `/healthz?verbose` is read instead.
 */
import type { Finding } from '../../model/baseline.js';
import { apiGet } from './raw.js';
import type { Kube } from './client.js';

const ENDPOINTS = ['readyz', 'livez'] as const;
/** A line of the answer is the API server's own; cut anyway, so a strange answer stays short. */
const LINE_MAX = 160;

/** The failing checks of a verbose health answer, as it says them (`[-]etcd failed: reason withheld`). */
export function failedHealthChecks(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('[-]'))
    .map((line) => line.slice(0, LINE_MAX));
}

/** How many checks a verbose answer lists as passing. */
const passing = (text: string) => text.split('\n').filter((line) => line.trim().startsWith('[+]')).length;

/** `etcd` of `[-]etcd failed: reason withheld`. */
const checkName = (line: string) => /^\[-\](\S+)/.exec(line)?.[1] ?? line;

async function read(kube: Kube, endpoint: string, signal: AbortSignal): Promise<{ problems: Finding[]; ok: number }> {
  let answer = await apiGet(kube, `/${endpoint}?verbose`, signal);
  let name = endpoint;
  if (answer.status === 404) {
    name = 'healthz';
    answer = await apiGet(kube, '/healthz?verbose', signal);
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new Error(
      `${name}: refused (HTTP ${answer.status}): the worker's role needs nonResourceURLs /readyz, /livez: get (deploy/rbac.yaml)`,
    );
  }
  const failed = failedHealthChecks(answer.text);
  if (answer.status === 200 && failed.length === 0) return { problems: [], ok: passing(answer.text) };
  // Each failing check is a problem of its own (accepted only by its key: `apiserver readyz etcd`).
  const problems: Finding[] =
    failed.length > 0
      ? failed.map((line) => ({ key: `apiserver ${name} ${checkName(line)}`, detail: `${name}: ${line}` }))
      : [{ key: `apiserver ${name} HTTP ${answer.status}`, detail: `${name}: HTTP ${answer.status}` }];
  return { problems: problems.map((p) => ({ ...p, acceptable: 'key' })), ok: 0 };
}

/** Every failing check of the API server, by endpoint; empty when all pass. Also says how many passed. */
export async function apiServerHealth(kube: Kube, signal: AbortSignal): Promise<{ problems: Finding[]; ok: string }> {
  const answers = await Promise.all(ENDPOINTS.map((e) => read(kube, e, signal)));
  const problems = answers.flatMap((a) => a.problems);
  return { problems, ok: `readyz (${answers[0]?.ok} checks) and livez (${answers[1]?.ok}) pass` };
}
