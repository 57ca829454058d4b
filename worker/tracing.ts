/**
 * Traces: OpenTelemetry through @temporalio/interceptors-opentelemetry. The workflow interceptors (in
 * the workflow bundle) make a span for each workflow run, child start and activity schedule; the
 * activity interceptor one for each activity attempt, under the span that scheduled it. A CLI start
 * carries no trace context, so each upgrade is one trace: its run, its nodes' children and all their
 * activities. Spans are exported over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and dropped otherwise; the workflow code is the same
 * either way, so workers with and without tracing can share upgrades.
 */
import { createRequire } from 'node:module';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

/** The workflow interceptors' module, bundled with the workflows (worker/worker.ts, worker/bundle.ts). */
export const TRACING_WORKFLOW_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

export const SERVICE_NAME = 'k8s-rolling-upgrade-worker';

let globalsSet = false;

export interface Tracing {
  /** where spans go, or undefined when they are dropped */
  endpoint?: string;
  /** the sink the workflow interceptors export their spans to */
  sinks: InjectedSinks<Record<string, never>>;
  activity: ActivityInterceptorsFactory;
  /** Sends the spans not sent yet and stops. */
  shutdown(): Promise<void>;
}

/**
 * Tracing as the environment asks (`env`: OTEL_EXPORTER_OTLP_ENDPOINT and the exporter's other
 * standard variables, OTEL_SERVICE_NAME), or into `processor` (a test's in-memory exporter).
 */
export function tracing(env: NodeJS.ProcessEnv = process.env, processor?: SpanProcessor): Tracing {
  // The activity interceptor reads the scheduling span from the activity's headers (W3C trace context)
  // and makes it the active context of the activity's span (async local storage).
  if (!globalsSet) {
    globalsSet = true;
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new Error(`the OTLP endpoint must be an http:// or https:// URL (OTLP/HTTP), not "${endpoint}"`);
  }
  const spans = processor ?? (endpoint ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor());
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || SERVICE_NAME });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spans] });
  const tracer = provider.getTracer('k8s-rolling-upgrade');
  return {
    endpoint: processor ? 'in-process' : endpoint,
    sinks: { exporter: makeWorkflowExporter(spans, resource) } as unknown as InjectedSinks<Record<string, never>>,
    activity: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    shutdown: () => provider.shutdown(),
  };
}
