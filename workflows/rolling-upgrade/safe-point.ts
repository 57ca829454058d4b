/**
 * The points between nodes where the upgrade may stop: an abort ends it, a pause waits durably for
 * `resume`, a closed maintenance window waits on a durable timer until the next one opens.
 */
import { condition } from '@temporalio/workflow';
import { Aborted } from '../aborted.js';
import type { Notifier } from '../notify/notifier.js';
import { describeTime, nextOpening, openWindow, type Window } from '../window.js';
import type { RecordWriter } from './record.js';
import type { Upgrade } from './state.js';

export async function safePoint(
  upgrade: Upgrade,
  windows: Window[],
  record: RecordWriter,
  notifier?: Notifier,
): Promise<void> {
  for (;;) {
    if (upgrade.isAbortRequested) throw new Aborted();
    const reason = upgrade.pauseRequested;
    if (reason) {
      upgrade.hold();
      await record.paused(reason);
      notifier?.paused(reason);
      await condition(() => upgrade.pauseRequested === undefined || upgrade.isAbortRequested);
      if (upgrade.isAbortRequested) throw new Aborted();
      upgrade.proceed();
      await record.resumed();
      continue;
    }
    if (windows.length > 0 && !openWindow(windows, Date.now())) {
      const next = nextOpening(windows, Date.now());
      upgrade.waitForWindow(describeTime(next.opens, next.window.zone), next.window.spec);
      notifier?.waiting(next.opens, next.window);
      await condition(() => upgrade.isAbortRequested || upgrade.pauseRequested !== undefined, next.opens - Date.now());
      upgrade.proceed();
      continue;
    }
    return;
  }
}
