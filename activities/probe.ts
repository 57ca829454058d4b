/**
 * HTTP probes: the seed's `while true; do curl -Is <service_ip>; sleep 2; done`, counted. A probe
 * passes when it answers 2xx/3xx `successes` times in a row. The probes of a gate run at once, every
 * attempt and wait cut to the gate's deadline, and only to hosts the cluster's catalogue entry allows
 * (`probeHosts`): whoever may start an upgrade cannot make the worker reach anything else. What a
 * probe reports is a status code or an error code, never what the server answered.
 */
import type { GateCheck } from '../model/kube.js';
import type { Probe } from '../model/upgrade.js';

export type { Probe };

export interface ProbeRun {
  url: string;
  ok: boolean;
  attempts: number;
  failures: number;
  /** successes in a row when the run ended */
  streak: number;
  lastError?: string;
}

/** When a gate's probes must be done by, and how they wait. */
export interface ProbeBounds {
  /** epoch ms: no attempt or wait goes past it */
  deadline: number;
  sleep(ms: number): Promise<void>;
  /** cancellation: aborts the requests in flight */
  signal?: AbortSignal;
}

/** Attempts of one probe in one gate round; the gate's next round starts over. */
export const MAX_ATTEMPTS = 30;

/** The host and port of a `probeHosts` entry (`10.0.0.5`, `svc.example.com:8080`, `[fd00::1]`, `*.example.com`). */
function parseEntry(entry: string): { host: string; port?: string } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim().toLowerCase());
  return m ? { host: m[1] ?? '', port: m[2] } : { host: '' };
}

/** Whether `url`'s host (and port, when the entry names one) is one of `allowed`. */
export function probeHostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const e = parseEntry(entry);
    if (e.port !== undefined && e.port !== port) return false;
    return e.host.startsWith('*.') ? host.endsWith(e.host.slice(1)) : host === e.host;
  });
}

/** Why the worker may not probe `url` for `cluster` (`host … is not allowed …`), or undefined when it may. */
export function probeRefusal(url: string, allowed: readonly string[], cluster: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (probeHostAllowed(parsed, allowed)) return undefined;
  const listed = allowed.length > 0 ? allowed.join(', ') : 'none';
  return `host ${parsed.host} is not allowed for cluster ${cluster} (allowed: ${listed}); add it to the cluster's probeHosts in the catalogue`;
}

/** The reason an attempt failed, in a few words: a status or an error code, never the server's answer. */
function failure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
  // fetch's own reason (`bad port`), never the server's
  const reason = e.cause?.message;
  return typeof reason === 'string' && reason.length <= 40 ? reason : 'request failed';
}

async function once(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'HEAD',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      redirect: 'manual',
    });
    await res.body?.cancel();
    return res.status < 400 ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    signal?.throwIfAborted();
    return failure(timeout.aborted ? { name: 'TimeoutError' } : err, timeoutMs);
  }
}

/** Probes until `successes` in a row, `maxAttempts` tries or the deadline. */
export async function runProbe(probe: Probe, bounds: ProbeBounds, maxAttempts = MAX_ATTEMPTS): Promise<ProbeRun> {
  const need = probe.successes ?? 3;
  const run: ProbeRun = { url: probe.url, ok: false, attempts: 0, failures: 0, streak: 0 };
  while (run.attempts < maxAttempts) {
    const left = bounds.deadline - Date.now();
    if (left <= 0) break;
    run.attempts++;
    const error = await once(probe.url, Math.min(probe.timeoutMs ?? 2000, left), bounds.signal);
    if (error === undefined) {
      run.streak++;
      if (run.streak >= need) return { ...run, ok: true };
    } else {
      run.streak = 0;
      run.failures++;
      run.lastError = error;
    }
    const wait = Math.min(probe.intervalMs ?? 1000, bounds.deadline - Date.now());
    if (wait <= 0) break;
    await bounds.sleep(wait);
  }
  return run;
}

function describe(run: ProbeRun, need: number): string {
  if (run.ok) return `${need} successes in a row (${run.failures} failure(s) before)`;
  if (run.attempts === 0) return "not tried: the gate's deadline had passed";
  const last = run.lastError ? `; last: ${run.lastError}` : '';
  const end = run.attempts < MAX_ATTEMPTS ? " (stopped at the gate's deadline)" : '';
  return `${run.failures}/${run.attempts} failed, ${run.streak} of ${need} successes in a row${last}${end}`;
}

/**
 * The gate's probe checks: every allowed probe run at once within `bounds`, a refused one reported
 * without a request. In the order given.
 */
export async function probeChecks(
  probes: readonly Probe[],
  allowed: () => readonly string[],
  cluster: string,
  bounds: ProbeBounds,
): Promise<GateCheck[]> {
  if (probes.length === 0) return [];
  let hosts: readonly string[];
  try {
    hosts = allowed();
  } catch (err) {
    const detail = `refused: cannot read the cluster's probeHosts: ${(err as Error).message}`;
    return probes.map((p) => ({ name: `probe ${p.url}`, ok: false, detail }));
  }
  return await Promise.all(
    probes.map(async (probe): Promise<GateCheck> => {
      const name = `probe ${probe.url}`;
      const refused = probeRefusal(probe.url, hosts, cluster);
      if (refused) return { name, ok: false, detail: `refused: ${refused}` };
      const run = await runProbe(probe, bounds);
      return { name, ok: run.ok, detail: describe(run, probe.successes ?? 3) };
    }),
  );
}
