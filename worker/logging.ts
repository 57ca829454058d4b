/**
 * `--log-format json`: every line the worker writes is one JSON object with `time`, `level`,
 * `message`, and the upgrade it is about: `cluster`, `upgradeId`, `node` and `step` (null when a line is
 * about no upgrade, such as the worker starting). The SDK's lines (its Runtime logger, the workflow and
 * activity loggers) and the worker's own console output (a replacement command's output) all come
 * here. What a line is about comes from, first to last: the line's own attributes (workflow `log`
 * with ./workflows/log-attributes.ts), the activity it is written in (`loggingInterceptor`), and the
 * workflow id it names (`<upgrade id>/<node>` for a node's child; the cluster as this worker learned it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import type { ActivityInterceptorsFactory, LogEntry, LogLevel } from '@temporalio/worker';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a line is about. */
export interface LogSubject {
  cluster?: string;
  upgradeId?: string;
  node?: string;
  step?: string;
}

/** Each activity's step as the status names it (other activities go by their own name). */
const STEPS: Record<string, string> = {
  validateUpgrade: 'validating',
  planUpgrade: 'preflight',
  healthGate: 'gate',
  snapshotNode: 'snapshot',
  cordonNode: 'cordon',
  drainNode: 'drain',
  replaceNode: 'replace',
  surgeNode: 'surge',
  waitNodeReady: 'wait-ready',
  restoreNode: 'uncordon',
  retireNode: 'retire',
};

const stepOf = (activityType: string | undefined) => (activityType ? (STEPS[activityType] ?? activityType) : undefined);

const activityScope = new AsyncLocalStorage<LogSubject>();
/** upgrade id → cluster, as activities of this worker named them (bounded) */
const clusters = new Map<string, string>();

function learn(upgradeId: string | undefined, cluster: string | undefined): void {
  if (!upgradeId || !cluster || clusters.get(upgradeId) === cluster) return;
  if (clusters.size >= 10_000) clusters.delete(clusters.keys().next().value ?? '');
  clusters.set(upgradeId, cluster);
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** A node's child is `<upgrade id>/<node>`. */
function fromWorkflowId(id: string | undefined): LogSubject {
  if (!id) return {};
  const slash = id.indexOf('/');
  return slash < 0 ? { upgradeId: id } : { upgradeId: id.slice(0, slash), node: id.slice(slash + 1) };
}

/** Records an activity's subject for every line written while it runs. */
export const loggingInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const arg: unknown = input.args[0];
      const fields = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
      const snapshot = fields.snapshot as { name?: unknown } | undefined;
      const fromId = fromWorkflowId(ctx.info.workflowExecution?.workflowId);
      const subject: LogSubject = {
        cluster: typeof arg === 'string' ? arg : text(fields.cluster),
        upgradeId: text(fields.upgradeId) ?? fromId.upgradeId,
        node: text(fields.node) ?? text(snapshot?.name) ?? fromId.node,
        step: stepOf(ctx.info.activityType),
      };
      learn(subject.upgradeId, subject.cluster);
      return await activityScope.run(subject, () => next(input));
    },
  },
});

/** An error as its name, message, failure type and cause (the SDK's "Activity task failed" says why there). */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const { type } = value as { type?: unknown };
    return {
      name: value.name,
      message: value.message,
      ...(typeof type === 'string' ? { type } : {}),
      ...(value.cause !== undefined ? { cause: value.cause } : {}),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One JSON line for a log entry (its attributes after the fixed fields, minus those). */
export function jsonLine(
  level: LogLevel,
  message: string,
  meta: Record<string, unknown> = {},
  time = new Date(),
): string {
  const { cluster, upgradeId, node, step, ...rest } = meta;
  const scope = activityScope.getStore() ?? {};
  const fromId = fromWorkflowId(text(meta.workflowId));
  const id = text(upgradeId) ?? scope.upgradeId ?? fromId.upgradeId;
  const subject = {
    cluster: text(cluster) ?? scope.cluster ?? (id ? clusters.get(id) : undefined) ?? null,
    upgradeId: id ?? null,
    node: text(node) ?? scope.node ?? fromId.node ?? null,
    step: text(step) ?? scope.step ?? stepOf(text(meta.activityType)) ?? null,
  };
  learn(subject.upgradeId ?? undefined, subject.cluster ?? undefined);
  const head = { time: time.toISOString(), level, message, ...subject };
  try {
    return JSON.stringify({ ...head, ...rest }, (_k, v: unknown) => plain(v));
  } catch (err) {
    // attributes that cannot be written (a circular object): the line without them, and why
    return JSON.stringify({ ...head, attributesLeftOut: String(err) });
  }
}

/** The Runtime logger's output function for `format` (text: the SDK's own format). */
export function logWriter(logFormat: LogFormat, text: (entry: LogEntry) => void): (entry: LogEntry) => void {
  if (logFormat === 'text') return text;
  return (entry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n));
    process.stdout.write(`${jsonLine(entry.level, entry.message, entry.meta, time)}\n`);
  };
}

/** In json format, console output becomes JSON lines too (INFO for log/info, WARN, ERROR, DEBUG). */
export function jsonConsole(): void {
  const write =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      process.stdout.write(`${jsonLine(level, format(...args))}\n`);
  console.log = console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
}
