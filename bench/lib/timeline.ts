/**
 * Where an upgrade's time went, read from the workflow histories: per node on average, each activity
 * type, the progress signals a child waits for, child start latency, and what is left (workflow
 * tasks, round trips to the server). bench/overhead.ts prints it next to its totals.
 */
import type { Client } from '@temporalio/client';
import { type HistoryEvent, activitySpans, childHistories, eventMs, historyOf } from './history.js';

/** Progress signals are sent without waiting (but the last): their delivery overlaps the activities. */
const OVERLAPS = 'progress signal delivery (overlaps)';

/** Milliseconds per category, summed over one history. */
function spans(events: HistoryEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  for (const activity of activitySpans(events)) add(`activity ${activity.type}`, activity.ms);
  for (const e of events) {
    const signaled = e.externalWorkflowExecutionSignaledEventAttributes;
    if (signaled?.initiatedEventId) add(OVERLAPS, eventMs(e) - eventMs(byId.get(Number(signaled.initiatedEventId))));
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started?.initiatedEventId)
      add('child start latency', eventMs(e) - eventMs(byId.get(Number(started.initiatedEventId))));
    const done = e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes;
    if (done?.startedEventId) add('child runs', eventMs(e) - eventMs(byId.get(Number(done.startedEventId))));
  }
  return out;
}

/** Lines like "activity drainNode   6,412 ms per node", for the parent and its children. */
export async function timeline(client: Client, workflowId: string, nodes: string[]): Promise<string[]> {
  const lines: string[] = [];
  const print = (title: string, total: Map<string, number>, whole: number, n: number) => {
    lines.push(`${title} (ms per node):`);
    let accounted = 0;
    for (const [k, v] of [...total].sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${k.padEnd(34)} ${(v / n).toFixed(0).padStart(7)}`);
      if (k !== OVERLAPS) accounted += v;
    }
    lines.push(
      `  ${'rest: workflow tasks, round trips'.padEnd(34)} ${((whole - accounted) / n).toFixed(0).padStart(7)}`,
    );
  };
  const parent = await historyOf(client, workflowId);
  print('parent', spans(parent), eventMs(parent.at(-1)) - eventMs(parent[0]), nodes.length);
  const children = new Map<string, number>();
  let childTime = 0;
  for (const events of await childHistories(client, workflowId, nodes)) {
    for (const [k, v] of spans(events)) children.set(k, (children.get(k) ?? 0) + v);
    childTime += eventMs(events.at(-1)) - eventMs(events[0]);
  }
  print('nodeUpgrade children', children, childTime, nodes.length);
  return lines;
}
