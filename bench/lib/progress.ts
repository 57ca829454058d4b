/**
 * Running an upgrade to its end while following it: its `status` every 10 s, logged when it changes
 * (with the memory of the processes that matter); a pause longer than a limit (failed gate, blocked
 * drain) ends the wait, since nobody is there to resume it, as does an interruption. An upgrade that
 * did not end by itself is terminated.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { UpgradeStatus } from '../../model/status.js';
import type { Interruption } from './interruption.js';
import { log, secs } from './report.js';

export interface Following {
  /** when the upgrade was started (progress lines say how long ago) */
  startedAt: number;
  pauseLimitS: number;
  interruption: Interruption;
  /** appended to each progress line, e.g. the processes' memory now */
  extra: () => string;
}

export interface Outcome {
  /** the upgrade's result, or its last status when it was stopped */
  final?: UpgradeStatus;
  /** why the upgrade did not end by itself */
  stopped?: string;
}

function follow(handle: WorkflowHandle, f: Following): { stop(): void } {
  let pausedSince: number | undefined;
  let lastLine = '';
  const timer = setInterval(() => {
    void handle
      .query<UpgradeStatus>('status')
      .then((st) => {
        const text = `phase ${st.phase}, ${st.done}/${st.nodes.length} nodes done, ${st.current.length} in progress`;
        if (text !== lastLine) log(`upgrade: ${text} (${secs(Date.now() - f.startedAt)}; ${f.extra()})`);
        lastLine = text;
        if (st.phase !== 'paused') {
          pausedSince = undefined;
          return;
        }
        pausedSince ??= Date.now();
        if (Date.now() - pausedSince > f.pauseLimitS * 1000) {
          const why = st.pausedReason ?? '';
          const short = why.length > 600 ? `${why.slice(0, 300)} … ${why.slice(-300)}` : why;
          f.interruption.interrupt(new Error(`upgrade paused for over ${f.pauseLimitS} s: ${short}`));
        }
      })
      .catch(() => undefined); // between two runs (continue-as-new) a query can miss
  }, 10_000);
  return { stop: () => clearInterval(timer) };
}

export async function awaitUpgrade(handle: WorkflowHandle, f: Following): Promise<Outcome> {
  const following = follow(handle, f);
  try {
    return { final: await Promise.race([handle.result() as Promise<UpgradeStatus>, f.interruption.promise]) };
  } catch (err) {
    const final = await handle.query<UpgradeStatus>('status').catch(() => undefined);
    await handle.terminate('bench stopped').catch(() => undefined);
    return { final, stopped: (err as Error).message };
  } finally {
    following.stop();
  }
}
