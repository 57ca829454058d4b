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
