/**
 * Every metric the worker exports on `--metrics-port`, in one list: the upgrade's own (emitted by the
 * workflows and activities through the SDK's metric meter) and the SDK's runtime metrics that the
 * dashboard (deploy/grafana-dashboard.json) and the README use. Labels name a cluster, an upgrade, a
 * node's role, a check or a budget: never a URL, a credential or a pod. Pure (workflows import it).
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  name: string;
  kind: MetricKind;
  help: string;
  /** its labels besides those the SDK adds (ours: namespace, taskQueue, workflowType or activityType) */
  labels: readonly string[];
  /** histogram bucket bounds, in the metric's unit */
  buckets?: readonly number[];
}

export const METRIC_PREFIX = 'k8s_rolling_upgrade_';

/** Node-upgrade and drain durations: seconds on kwok, tens of minutes on a real machine. */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export const METRICS = {
  nodesUpgraded: {
    name: `${METRIC_PREFIX}nodes_upgraded`,
    kind: 'gauge',
    help: 'nodes of the cluster at the target version (done) in its running or last upgrade',
    labels: ['cluster', 'upgrade_id'],
  },
  nodesRemaining: {
    name: `${METRIC_PREFIX}nodes_remaining`,
    kind: 'gauge',
    help: 'nodes of the cluster the upgrade has not finished with',
    labels: ['cluster', 'upgrade_id'],
  },
  nodesBlocked: {
    name: `${METRIC_PREFIX}nodes_blocked`,
    kind: 'gauge',
    help: 'nodes waiting for the operator: step "blocked" (a drain) or "replace-failed"',
    labels: ['cluster', 'upgrade_id', 'step'],
  },
  phase: {
    name: `${METRIC_PREFIX}phase`,
    kind: 'gauge',
    help: "1 for the upgrade's current phase, 0 for the others",
    labels: ['cluster', 'upgrade_id', 'phase'],
  },
  upgradesEnded: {
    name: `${METRIC_PREFIX}upgrades_total`,
    kind: 'counter',
    help: 'upgrades ended, by outcome (completed, failed, aborted)',
    labels: ['cluster', 'outcome'],
  },
  nodeUpgradeSeconds: {
    name: `${METRIC_PREFIX}node_upgrade_seconds`,
    kind: 'histogram',
    help: "one node's upgrade, from its first step to its outcome (upgraded, already-upgraded, skipped, aborted, gone, failed)",
    labels: ['cluster', 'role', 'outcome'],
    buckets: DURATION_BUCKETS,
  },
  drainSeconds: {
    name: `${METRIC_PREFIX}drain_seconds`,
    kind: 'histogram',
    help: "one node's drain, from its first eviction to an empty node (waits for the operator included)",
    labels: ['cluster'],
    buckets: DURATION_BUCKETS,
  },
  evictionsRefused: {
    name: `${METRIC_PREFIX}evictions_refused_total`,
    kind: 'counter',
    help: 'evictions the API server refused because a PodDisruptionBudget would be violated',
    labels: ['cluster', 'budget'],
  },
  gateFailures: {
    name: `${METRIC_PREFIX}gate_failures_total`,
    kind: 'counter',
    help: 'failed checks of health gates (api, apiserver, control-plane, nodes, node-conditions, workloads, budgets, probe)',
    labels: ['cluster', 'check'],
  },
} as const satisfies Record<string, MetricSpec>;

/** The SDK's runtime metrics (the Runtime's Prometheus exporter, prefix temporal_) the dashboard uses. */
export const SDK_METRICS: readonly MetricSpec[] = [
  {
    name: 'temporal_workflow_completed',
    kind: 'counter',
    help: 'workflow executions completed',
    labels: ['workflow_type'],
  },
  { name: 'temporal_workflow_failed', kind: 'counter', help: 'workflow executions failed', labels: ['workflow_type'] },
  {
    name: 'temporal_activity_execution_failed',
    kind: 'counter',
    help: 'activity attempts that failed (each retry counts)',
    labels: ['activity_type'],
  },
  {
    name: 'temporal_activity_execution_latency',
    kind: 'histogram',
    help: 'activity attempt durations (ms)',
    labels: ['activity_type'],
  },
  {
    name: 'temporal_workflow_task_schedule_to_start_latency',
    kind: 'histogram',
    help: 'how long workflow tasks waited for this worker (ms)',
    labels: [],
  },
  {
    name: 'temporal_worker_task_slots_available',
    kind: 'gauge',
    help: "this worker's free task slots",
    labels: ['worker_type'],
  },
];

/** Every metric of this worker (ours first). */
export const ALL_METRICS: readonly MetricSpec[] = [...Object.values(METRICS), ...SDK_METRICS];

/** The series names a Prometheus query may use for `m` (a histogram's _bucket, _sum and _count). */
export function seriesNames(m: MetricSpec): string[] {
  return m.kind === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name];
}
