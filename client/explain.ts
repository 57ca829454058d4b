/**
 * A failure as the operator should read it: the messages along its cause chain, outermost first, so
 * "Workflow Update failed" comes with the validator's or the server's reason.
 */
export function explain(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    const message = e instanceof Error ? e.message : String(e);
    if (message && !messages.some((m) => m.includes(message))) messages.push(message);
    if (!(e instanceof Error)) break;
  }
  return messages.join(': ') || String(err);
}
