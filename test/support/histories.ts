/** Reading what an upgrade left in Temporal, for tests that look for what must never be there. */
import type { Client } from '@temporalio/client';

/** Every event of the workflow and of its children (notifications included), payloads decoded, as one text. */
export async function historiesText(client: Client, workflowId: string): Promise<string> {
  const ids = [workflowId];
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const events = (await client.workflow.getHandle(ids[i] ?? '').fetchHistory()).events ?? [];
    for (const e of events) {
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (child) ids.push(child);
    }
    parts.push(
      JSON.stringify(events, (_k, v: unknown) =>
        v instanceof Uint8Array || (typeof v === 'object' && v !== null && (v as { type?: string }).type === 'Buffer')
          ? Buffer.from(v as Uint8Array).toString('utf8')
          : v,
      ),
    );
  }
  return parts.join('\n');
}
