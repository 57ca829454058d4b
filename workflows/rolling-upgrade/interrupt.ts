/** Waits an abort interrupts: a soak, a running gate. */
import { CancellationScope, condition } from '@temporalio/workflow';
import { Aborted } from '../aborted.js';
import type { Upgrade } from './state.js';

/** Runs `work` in a scope an abort cancels; throws Aborted when one arrives before it ends. */
export async function unlessAborted<T>(upgrade: Upgrade, work: () => Promise<T>): Promise<T> {
  if (upgrade.isAbortRequested) throw new Aborted();
  const scope = new CancellationScope();
  const watch = new CancellationScope();
  watch
    .run(() => condition(() => upgrade.isAbortRequested))
    .then(() => scope.cancel())
    .catch(() => undefined); // the watch ends with the work
  try {
    return await scope.run(work);
  } catch (err) {
    if (upgrade.isAbortRequested) throw new Aborted();
    throw err;
  } finally {
    watch.cancel();
  }
}
