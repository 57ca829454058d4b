/**
 * Recorded workflow histories on disk: how their files are named, the manifest that lists them, and
 * collecting every history of an upgrade (each run of the parent, every child) from the server.
 *
 * File names: `<scenario>--<workflow id, escaped>[--run<N>].json`. The workflow id is escaped with
 * encodeURIComponent (a child's id `upgrade-x/w-0` becomes `upgrade-x%2Fw-0`), which a file name can
 * hold and decodeURIComponent reverses; scenario names never contain `--`. `--run<N>` marks the Nth run
 * of a workflow that continued as new (the first run has no suffix). Replay needs the workflow id a
 * history was recorded with: `parseHistoryFile` recovers it from the name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];

export const MANIFEST = 'index.json';

export interface RecordedFile {
  file: string;
  workflowType: string;
  workflowId: string;
  /** 1 for the first run; more when the workflow continued as new */
  run: number;
}

export interface ManifestEntry {
  scenario: string;
  /** the path through the workflows this scenario exercises */
  covers: string;
  files: RecordedFile[];
}

export interface Manifest {
  about: string;
  scenarios: ManifestEntry[];
}

export function historyFile(scenario: string, workflowId: string, run = 1): string {
  if (scenario.includes('--')) throw new Error(`scenario name "${scenario}" must not contain "--"`);
  return `${scenario}--${encodeURIComponent(workflowId)}${run > 1 ? `--run${run}` : ''}.json`;
}

export function parseHistoryFile(file: string): { scenario: string; workflowId: string; run: number } {
  const m = /^(.+?)--(.+?)(?:--run(\d+))?\.json$/.exec(file);
  if (!m) throw new Error(`history file name "${file}" is not <scenario>--<escaped workflow id>[--run<N>].json`);
  return { scenario: m[1] ?? '', workflowId: decodeURIComponent(m[2] ?? ''), run: Number(m[3] ?? 1) };
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new Error(
      `cannot read the fixtures manifest ${path} (record the fixtures with \`npm run fixtures\`): ${String(err)}`,
      {
        cause: err,
      },
    );
  }
}

export interface RecordedRun {
  workflowType: string;
  workflowId: string;
  run: number;
  history: History;
}

/** Every run of the workflow from `runId` on (following continue-as-new), then every child's, depth first. */
export async function collectHistories(client: Client, workflowId: string, runId: string): Promise<RecordedRun[]> {
  const out: RecordedRun[] = [];
  let next: string | undefined = runId;
  for (let run = 1; next; run++) {
    const history: History = await client.workflow.getHandle(workflowId, next).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const workflowType = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
    out.push({ workflowType, workflowId, run, history });
    for (const e of events) {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) {
        await client.workflow
          .getHandle(child.workflowId, child.runId)
          .result()
          .catch(() => undefined); // a failed child's history is recorded as well
        out.push(...(await collectHistories(client, child.workflowId, child.runId)));
      }
    }
    next =
      events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
        ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return out;
}

/** The operator's signals and updates (the workflows' external contract). */
const OPERATOR = ['pause', 'resume', 'abort', 'retryDrain', 'forceDrain', 'skipNode', 'retryReplace'];

/** The names of the operator's signals and updates a history received, in order. */
export function operatorMessages(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    const name =
      e.workflowExecutionSignaledEventAttributes?.signalName ??
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name && OPERATOR.includes(name) ? [name] : [];
  });
}

/** Whether the named signal arrived while a timer (a soak, a window wait) was running. */
export function signalledDuringTimer(events: HistoryEvent[], signal: string): boolean {
  const at = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === signal);
  if (at < 0) return false;
  const pending = new Set<string>();
  for (const e of events.slice(0, at)) {
    const started = e.timerStartedEventAttributes?.timerId;
    if (started) pending.add(started);
    const ended = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
    if (ended) pending.delete(ended);
  }
  return pending.size > 0;
}
