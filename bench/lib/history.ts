/**
 * Reading an upgrade's workflow histories: the events of the parent's runs and of its nodeUpgrade
 * children (fetched a few at a time), the time each activity took, the time in workflow tasks, and
 * the history sizes (runs of the parent through continue-as-new, the largest child).
 */
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import pLimit from 'p-limit';

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Histories fetched at once: enough to hide the round trips, few enough not to load the server. */
const FETCHES_AT_ONCE = 16;

/** The event's time in milliseconds since the epoch (0 for none). */
export const eventMs = (e: HistoryEvent | undefined): number =>
  e?.eventTime ? Number(e.eventTime.seconds ?? 0) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : 0;

export async function historyOf(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** The histories of the parent's children for these nodes (ids `<parent>/<node>`), in their order. */
export function childHistories(client: Client, workflowId: string, nodes: string[]): Promise<HistoryEvent[][]> {
  const limit = pLimit(FETCHES_AT_ONCE);
  return Promise.all(nodes.map((node) => limit(() => historyOf(client, `${workflowId}/${node}`))));
}

export interface ActivitySpan {
  type: string;
  /** scheduled → closed, retries included */
  ms: number;
  /** scheduled → started: waiting in the task queue for a worker slot (0 if it never started) */
  queuedMs: number;
  outcome: 'completed' | 'failed' | 'timed out' | 'canceled';
  /** the closing event (its result, for a completed activity) */
  closed: HistoryEvent;
}

type Outcome = ActivitySpan['outcome'];
type ClosingAttributes = { scheduledEventId?: HistoryEvent['eventId']; startedEventId?: HistoryEvent['eventId'] };

/** How the event closed an activity, if it did. */
function closingOf(e: HistoryEvent) {
  const closings: [Outcome, ClosingAttributes | null | undefined][] = [
    ['completed', e.activityTaskCompletedEventAttributes],
    ['failed', e.activityTaskFailedEventAttributes],
    ['timed out', e.activityTaskTimedOutEventAttributes],
    ['canceled', e.activityTaskCanceledEventAttributes],
  ];
  const [outcome, attributes] = closings.find(([, a]) => a?.scheduledEventId) ?? [];
  return outcome && attributes ? { outcome, attributes } : undefined;
}

/** Every activity of one history that closed, with its times. */
export function activitySpans(events: HistoryEvent[]): ActivitySpan[] {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const spans: ActivitySpan[] = [];
  for (const e of events) {
    const closing = closingOf(e);
    if (!closing) continue;
    const { outcome, attributes } = closing;
    const scheduled = byId.get(Number(attributes.scheduledEventId));
    const started = attributes.startedEventId ? byId.get(Number(attributes.startedEventId)) : undefined;
    spans.push({
      type: scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?',
      ms: eventMs(e) - eventMs(scheduled),
      queuedMs: started ? eventMs(started) - eventMs(scheduled) : 0,
      outcome,
      closed: e,
    });
  }
  return spans;
}

/** The JSON result of a completed activity; undefined for none (a void activity). */
export function activityResult(span: ActivitySpan): unknown {
  const data = span.closed.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
  return data && data.length > 0 ? JSON.parse(Buffer.from(data).toString()) : undefined;
}

/** Milliseconds in workflow tasks (scheduled → completed or timed out), summed over one history. */
export function workflowTaskMs(events: HistoryEvent[]): number {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  let total = 0;
  for (const e of events) {
    const task = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
    if (task?.scheduledEventId) total += eventMs(e) - eventMs(byId.get(Number(task.scheduledEventId)));
  }
  return total;
}

export interface HistorySizes {
  /** the parent's runs (continue-as-new), with their lengths from the history service */
  runs: { runId: string; historyLength: number }[];
  /** every nodeUpgrade child the server lists */
  children: WorkflowExecutionInfo[];
  largestRun: { runId: string; historyLength: number };
  largestChild: { workflowId: string; historyLength: number };
}

async function listAll(client: Client, query: string): Promise<WorkflowExecutionInfo[]> {
  const all: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query })) all.push(w);
  return all;
}

/**
 * The parent's runs from the history service itself (visibility has no length for a running one); the
 * children from visibility (so the server should hold this upgrade only), the largest checked against
 * the history service.
 */
export async function historySizes(client: Client, workflowId: string): Promise<HistorySizes> {
  const runs = await Promise.all(
    (await listAll(client, `WorkflowId = "${workflowId}"`)).map(async (r) => ({
      runId: r.runId,
      historyLength: (await client.workflow.getHandle(workflowId, r.runId).describe()).historyLength,
    })),
  );
  const children = await listAll(client, `WorkflowType = "nodeUpgrade"`);
  if (runs.length === 0 || children.length === 0) throw new Error('no run or no nodeUpgrade child found');
  const largestRun = runs.reduce((a, b) => (b.historyLength > a.historyLength ? b : a));
  const largest = children.reduce((a, b) => (b.historyLength > a.historyLength ? b : a));
  const described = await client.workflow.getHandle(largest.workflowId, largest.runId).describe();
  return {
    runs,
    children,
    largestRun,
    largestChild: { workflowId: largest.workflowId, historyLength: described.historyLength },
  };
}
