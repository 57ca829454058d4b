/**
 * HTTP probes: the seed's `while true; do curl -Is <service_ip>; sleep 2; done`, counted. A probe
 * passes when it answers 2xx/3xx `successes` times in a row.
 */
import type { Probe } from '../model/upgrade.js';

export type { Probe };

export interface ProbeRun {
  url: string;
  ok: boolean;
  attempts: number;
  failures: number;
  lastError?: string;
}

async function once(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return res.status < 400 ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Probes until `successes` in a row or `maxAttempts` tries. */
export async function runProbe(
  probe: Probe,
  sleep: (ms: number) => Promise<void>,
  maxAttempts = 30,
): Promise<ProbeRun> {
  const need = probe.successes ?? 3;
  const run: ProbeRun = { url: probe.url, ok: false, attempts: 0, failures: 0 };
  let streak = 0;
  while (run.attempts < maxAttempts) {
    run.attempts++;
    const error = await once(probe.url, probe.timeoutMs ?? 2000);
    if (error === undefined) {
      streak++;
      if (streak >= need) return { ...run, ok: true };
    } else {
      streak = 0;
      run.failures++;
      run.lastError = error;
    }
    await sleep(probe.intervalMs ?? 1000);
  }
  return run;
}
