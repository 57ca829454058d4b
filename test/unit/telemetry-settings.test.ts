/**
 * The worker's telemetry settings: --metrics-port's address and the histograms' buckets, the OTLP
 * endpoint it accepts, and what a JSON log line says about the upgrade it concerns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRICS } from '../../model/metrics.js';
import { jsonLine } from '../../worker/logging.js';
import { metricsAddress, prometheusMetrics } from '../../worker/metrics.js';
import { tracing } from '../../worker/tracing.js';

describe('--metrics-port', () => {
  it('takes a port (every interface) or HOST:PORT', () => {
    assert.equal(metricsAddress('9464'), '0.0.0.0:9464');
    assert.equal(metricsAddress('127.0.0.1:9464'), '127.0.0.1:9464');
    assert.equal(metricsAddress('[::1]:9464'), '[::1]:9464');
  });

  it('refuses anything else, naming the flag and the value', () => {
    for (const bad of ['', 'x', '0', '65536', '9464x', 'host:', ':9464', 'a b:1', '1.5']) {
      assert.throws(() => metricsAddress(bad), /--metrics-port/, bad);
    }
  });

  it('gives every histogram of the upgrade its buckets, in seconds', () => {
    const config = prometheusMetrics('127.0.0.1:1');
    assert.ok('prometheus' in config);
    const buckets = config.prometheus.histogramBucketOverrides ?? {};
    assert.deepEqual(Object.keys(buckets).sort(), [METRICS.drainSeconds.name, METRICS.nodeUpgradeSeconds.name].sort());
    assert.ok(buckets[METRICS.drainSeconds.name]?.includes(60));
  });
});

describe('OTLP endpoint', () => {
  it('exports only when one is set, and only to an http(s) URL', async () => {
    assert.equal(tracing({}).endpoint, undefined);
    const t = tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    assert.equal(t.endpoint, 'http://127.0.0.1:4318');
    await t.shutdown();
    assert.throws(() => tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4317' }), /http:\/\/ or https:\/\//);
  });
});

describe('JSON log lines', () => {
  const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

  it('always have the upgrade fields, null when the line is about none', () => {
    const line = parse(jsonLine('INFO', 'worker: polling', {}, new Date(0)));
    assert.deepEqual(line, {
      time: '1970-01-01T00:00:00.000Z',
      level: 'INFO',
      message: 'worker: polling',
      cluster: null,
      upgradeId: null,
      node: null,
      step: null,
    });
  });

  it("read a node's child workflow id as upgrade and node, and an activity type as the step", () => {
    const line = parse(
      jsonLine('WARN', 'Activity failed', {
        workflowId: 'upgrade-a/node-1',
        activityType: 'drainNode',
        error: new Error('refused'),
      }),
    );
    assert.equal(line.upgradeId, 'upgrade-a');
    assert.equal(line.node, 'node-1');
    assert.equal(line.step, 'drain');
    assert.deepEqual(line.error, { name: 'Error', message: 'refused' });
  });

  it("give an error's failure type and cause (why an activity or a workflow task failed)", () => {
    const locked = Object.assign(new Error('cluster c is being upgraded by upgrade-x'), { type: 'ClusterLocked' });
    const line = parse(
      jsonLine('WARN', 'Workflow failed', { error: new Error('Activity task failed', { cause: locked }) }),
    );
    assert.deepEqual(line.error, {
      name: 'Error',
      message: 'Activity task failed',
      cause: { name: 'Error', message: 'cluster c is being upgraded by upgrade-x', type: 'ClusterLocked' },
    });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const kept = parse(jsonLine('INFO', 'a line with a circular attribute', { upgradeId: 'u', circular }));
    assert.deepEqual(
      [kept.message, kept.upgradeId, kept.circular],
      ['a line with a circular attribute', 'u', undefined],
    );
    assert.match(String(kept.attributesLeftOut), /circular/);
  });

  it('name the cluster of an upgrade once a line of it named the cluster', () => {
    jsonLine('INFO', 'upgrade of c1: validating', { cluster: 'c1', upgradeId: 'upgrade-b', step: 'validating' });
    const later = parse(jsonLine('DEBUG', 'Workflow completed', { workflowId: 'upgrade-b/node-2' }));
    assert.equal(later.cluster, 'c1');
    assert.equal(later.node, 'node-2');
  });
});
