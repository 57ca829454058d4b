/** The innermost failure's message ("child failed: activity failed: forbidden: …" → "forbidden: …"), with where. */
export function rootCause(err: unknown): string {
  let e: unknown = err;
  const path: string[] = [];
  while (e instanceof Error && e.cause instanceof Error) {
    const id = (e as { workflowExecution?: { workflowId?: string } }).workflowExecution?.workflowId;
    if (id) path.push(id.slice(id.lastIndexOf('/') + 1));
    e = e.cause;
  }
  const message = e instanceof Error ? e.message : String(e);
  return path.length > 0 ? `node ${path.join(', ')}: ${message}` : message;
}

/** The type of the innermost application failure (`NodeNotFound`, `ReplaceFailed`…), if any. */
export function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const t = (e as { type?: unknown }).type;
    if (typeof t === 'string') type = t;
  }
  return type;
}
