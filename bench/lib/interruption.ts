/**
 * An interruption the bench races its long waits against (`Promise.race([wait, interruption.promise])`),
 * so that Ctrl-C, a SIGTERM or a limit it detects itself stops the run and still tears everything down.
 */
export interface Interruption {
  promise: Promise<never>;
  interrupt(reason: Error): void;
}

export function interruptOnSignals(): Interruption {
  let interrupt: (reason: Error) => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    interrupt = reject;
  });
  promise.catch(() => undefined); // only the waits raced against it report it
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping and tearing down`);
      interrupt(new Error(`interrupted by ${sig}`));
    });
  }
  return { promise, interrupt };
}
