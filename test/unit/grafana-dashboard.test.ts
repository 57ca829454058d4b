/**
 * deploy/grafana-dashboard.json asks only for metrics the worker exports: every PromQL expression in
 * it (each panel's targets, and the cluster variable's label_values) parses with Prometheus's own
 * grammar (@prometheus-io/lezer-promql), and every metric it names is in model/metrics.ts, the list the
 * worker emits from, with only the labels that metric carries.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { ALL_METRICS, type MetricSpec, seriesNames } from '../../model/metrics.js';

const dashboard = JSON.parse(
  readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8'),
) as Dashboard;

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

/**
 * Labels a series has besides its metric's own: those the SDK adds to the upgrade's (camelCase) and to
 * its own metrics (snake_case), a histogram bucket's le, and Prometheus's job and instance.
 */
const COMMON_LABELS = [
  ...['namespace', 'taskQueue', 'workflowType', 'activityType'],
  ...['task_queue', 'workflow_type', 'activity_type', 'service_name'],
  ...['le', 'job', 'instance'],
];

const bySeries = new Map<string, MetricSpec>(ALL_METRICS.flatMap((m) => seriesNames(m).map((s) => [s, m] as const)));

/** Grafana's variables, as a value Prometheus would accept in their place. */
const withoutVariables = (expr: string) => expr.replaceAll(/\$__\w+/g, '5m').replaceAll(/\$\{?\w+\}?/g, 'x');

/** The metric names and matcher label names in `expr`; throws naming where it does not parse. */
function selectors(expr: string): { metrics: string[]; labels: Map<string, string[]> } {
  const text = withoutVariables(expr);
  const tree = parser.parse(text);
  const metrics: string[] = [];
  const labels = new Map<string, string[]>();
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`"${expr}" does not parse at ${node.from}: "${text.slice(node.from)}"`);
      if (node.name !== 'VectorSelector') return;
      const name = node.node.getChild('Identifier');
      const metric = name ? text.slice(name.from, name.to) : '(no name)';
      metrics.push(metric);
      const matchers = node.node.getChild('LabelMatchers');
      const names = (matchers?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => {
        const label = m.getChild('LabelName');
        return label ? text.slice(label.from, label.to) : '';
      });
      labels.set(metric, [...(labels.get(metric) ?? []), ...names]);
    },
  });
  return { metrics, labels };
}

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const expressions = panels(dashboard.panels).flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

describe('the Grafana dashboard', () => {
  it('has a PromQL expression on every panel that is not a row', () => {
    const empty = panels(dashboard.panels).filter((p) => p.type !== 'row' && !p.targets?.some((t) => t.expr));
    assert.deepEqual(
      empty.map((p) => p.title),
      [],
    );
    assert.ok(expressions.length >= 10, `${expressions.length} expressions`);
  });

  it('names only metrics the worker exports, with the labels they carry', () => {
    const used = new Set<string>();
    for (const { panel, expr } of expressions) {
      const { metrics, labels } = selectors(expr);
      assert.ok(metrics.length > 0, `${panel}: ${expr} names no metric`);
      for (const metric of metrics) {
        const spec = bySeries.get(metric);
        assert.ok(spec, `${panel}: ${metric} is not a metric the worker exports (model/metrics.ts)`);
        used.add(spec.name);
        for (const label of labels.get(metric) ?? []) {
          assert.ok(
            spec.labels.includes(label) || COMMON_LABELS.includes(label),
            `${panel}: ${metric} has no label ${label}`,
          );
        }
      }
    }
    // Each of the upgrade's own metrics is on the dashboard.
    const ours = ALL_METRICS.filter((m) => m.name.startsWith('k8s_rolling_upgrade_')).map((m) => m.name);
    assert.deepEqual(
      ours.filter((m) => !used.has(m)),
      [],
    );
  });

  it("reads each upgrade's gauges once, whichever workers export them (max or min by upgrade_id first)", () => {
    // A worker exports the gauges of the upgrades it ran; after a hand-over two workers export the same
    // upgrade's series, which a sum would count twice.
    const perUpgrade = new Set(
      ALL_METRICS.filter((m) => m.kind === 'gauge' && m.labels.includes('upgrade_id')).map((m) => m.name),
    );
    const wrong: string[] = [];
    for (const { panel, expr } of expressions) {
      const text = withoutVariables(expr);
      parser.parse(text).iterate({
        enter: (node) => {
          if (node.name !== 'VectorSelector') return;
          const name = node.node.getChild('Identifier');
          if (!name || !perUpgrade.has(text.slice(name.from, name.to))) return;
          let outer = node.node.parent;
          while (outer && outer.name !== 'AggregateExpr') outer = outer.parent;
          const head = outer ? text.slice(outer.from, outer.to) : '';
          if (!/^(max|min) by \([^)]*\bupgrade_id\b[^)]*\)/.test(head)) wrong.push(`${panel}: ${expr}`);
        },
      });
    }
    assert.deepEqual(wrong, []);
  });

  it('takes its cluster list from a metric the worker exports', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'cluster');
    const query = typeof variable?.query === 'string' ? variable.query : variable?.query?.query;
    const m = /^label_values\((\w+), *(\w+)\)$/.exec(query ?? '');
    assert.ok(m, `the cluster variable's query: ${query}`);
    const spec = bySeries.get(m[1] ?? '');
    assert.ok(spec, `${m[1]} is not a metric the worker exports`);
    assert.ok(spec.labels.includes(m[2] ?? ''), `${m[1]} has no label ${m[2]}`);
  });

  it('finds what does not parse and what the worker does not export (the check itself)', () => {
    assert.throws(
      () => selectors('sum by (cluster) (rate(k8s_rolling_upgrade_drain_seconds_bucket[5m])'),
      /does not parse/,
    );
    assert.deepEqual(selectors('rate(nope_total{cluster=~"$cluster"}[$__rate_interval])').metrics, ['nope_total']);
    assert.equal(bySeries.get('nope_total'), undefined);
  });
});
