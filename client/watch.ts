/**
 * `watch`: follows an upgrade live. Each node change is printed as a line (like `kubectl get node -w`)
 * above a progress bar (cli-progress) of nodes done; returns the final status when the upgrade ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import cliProgress from 'cli-progress';
import type { UpgradeStatus } from '../model/status.js';
import { nodeLine } from './render.js';
import { latestUpgradeId, queryStatus } from './upgrades.js';

const ENDED = ['completed', 'aborted', 'failed'];

/** Follows upgrade `id`, by default the cluster's latest. */
export async function watch(
  c: Client,
  cluster: string,
  out: NodeJS.WriteStream = process.stdout,
  id?: string,
): Promise<UpgradeStatus | undefined> {
  const workflowId = id ?? (await latestUpgradeId(c, cluster));
  const bars = new cliProgress.MultiBar(
    {
      format: ' {bar} {value}/{total} nodes | {phase} {current}',
      hideCursor: true,
      stream: out,
      noTTYOutput: false,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  // On a terminal the lines go above the bar; elsewhere (pipes, CI logs) they are plain lines.
  const log = (line: string) => (out.isTTY ? bars.log(`${line}\n`) : out.write(`${line}\n`));
  const seen = new Map<string, string>();
  let bar: cliProgress.SingleBar | undefined;
  let last: UpgradeStatus | undefined;
  let lastPhase = '';
  try {
    for (;;) {
      let s: UpgradeStatus | undefined;
      try {
        s = await queryStatus(c, cluster, workflowId);
      } catch {
        s = undefined; // the worker may be restarting: keep watching
      }
      if (s) {
        last = s;
        if (out.isTTY) bar ??= bars.create(s.nodes.length || 1, 0, { phase: s.phase, current: '' });
        if (s.phase !== lastPhase) {
          log(`${s.workflowId}: ${s.phase}${s.pausedReason ? ` (${s.pausedReason})` : ''}`);
          lastPhase = s.phase;
        }
        for (const n of s.nodes) {
          const line = nodeLine(n);
          if (seen.get(n.name) !== line) {
            seen.set(n.name, line);
            log(line);
          }
        }
        bar?.setTotal(s.nodes.length || 1);
        bar?.update(s.done, { phase: s.phase, current: s.current.join(', ') });
        if (ENDED.includes(s.phase)) return s;
      }
      const d = await c.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      if (d && d.status.name !== 'RUNNING' && (!s || !ENDED.includes(s.phase))) {
        return await queryStatus(c, cluster, workflowId).catch(() => last);
      }
      await sleep(500);
    }
  } finally {
    bars.stop();
  }
}
