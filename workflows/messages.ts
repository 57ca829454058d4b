/**
 * Checks of what operators send. A signal or update may come from `temporal workflow signal --input`
 * or the Web UI with any JSON, so its shape is checked before anything acts on it: a malformed update
 * is refused to its sender; a malformed signal (which cannot be refused) changes nothing and is
 * recorded in the status with the reason. Pure.
 */
const shown = (input: unknown) => {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const isObject = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && !Array.isArray(input);

/** What is wrong with a pause/resume/abort input (nothing, or {"reason": "..."}), or undefined. */
export function reasonProblem(signal: string, input: unknown): string | undefined {
  if (input === undefined || input === null) return undefined;
  const expected = `${signal} takes no input or {"reason": "..."}, not ${shown(input)}`;
  if (!isObject(input)) return expected;
  const extra = Object.keys(input).filter((k) => k !== 'reason');
  if (extra.length > 0 || (input.reason !== undefined && typeof input.reason !== 'string')) return expected;
  return undefined;
}

/** What is wrong with a drain decision's input ({"node": NAME}, with "timeoutSeconds" where allowed). */
export function nodeTargetProblem(update: string, input: unknown, withTimeout: boolean): string | undefined {
  const keys = withTimeout ? ['node', 'timeoutSeconds'] : ['node'];
  const expected = `${update} takes {"node": NAME${withTimeout ? ', "timeoutSeconds": N (optional)' : ''}}, not ${shown(input)}`;
  if (!isObject(input) || typeof input.node !== 'string' || input.node === '') return expected;
  if (Object.keys(input).some((k) => !keys.includes(k))) return expected;
  if (withTimeout && input.timeoutSeconds !== undefined) {
    const t = input.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) return 'timeoutSeconds must be a number of seconds > 0';
  }
  return undefined;
}
