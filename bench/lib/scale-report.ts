/**
 * bench/scale.ts's figures as the lines it prints: the cluster and its setup, the upgrade's time and
 * result, the histories, where the time went, memory and CPU, each target marked met or MISSED.
 */
import type { CpuSpent } from './sampling.js';
import type { HistorySizes } from './history.js';
import { coreCount, figure, mb, secs } from './report.js';

const HISTORY_TARGET = 10_000;
const WORKER_RSS_TARGET_MB = 300;

export interface ScaleRun {
  machine: string;
  nodes: number;
  pods: number;
  deployments: number;
  /** ms until the control plane and the nodes were Ready, then until the pods were */
  setup: { nodes: number; pods: number };
  /** ms from the workflow's start to its end (or to the bench stopping it) */
  total: number;
  /** the upgrade's final phase, or how it was stopped */
  phase: string;
  /** workers upgraded at once */
  batch: number;
  /** the version the nodes go to, and how many nodes report each version */
  to: string;
  versions: Map<string, number>;
  histories: HistorySizes;
  /** where the upgrade time went (lib/batches.ts), or why it could not be read */
  breakdown?: string[] | string;
  worker: { pid: number; peakKb: number; sampledPeakKb: number; stats: string };
  /** peakKb: of all its server processes; what: which they are, when not the dev server */
  temporal: { pid: number; peakKb: number; what?: string };
  /** peak RSS of each cluster component */
  cluster: Record<string, number>;
  cpu: CpuSpent;
  /** the controllers that worked most (seconds in their work queues) */
  busiest: (readonly [string, number])[];
}

const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');

export function scaleReport(r: ScaleRun): string[] {
  const lines: string[] = [];
  const line = (label: string, value: string) => lines.push(figure(label, value, 34));
  const { runs, children, largestRun, largestChild } = r.histories;
  const atTarget = r.versions.get(r.to) ?? 0;
  const listed = [...r.versions.values()].reduce((a, b) => a + b, 0);
  const others = [...r.versions].filter(([v]) => v !== r.to).map(([v, n]) => `${n} at ${v}`);
  const largest = Math.max(largestRun.historyLength, largestChild.historyLength);
  const largestIs =
    largestRun.historyLength >= largestChild.historyLength
      ? `parent run ${largestRun.runId}`
      : `child ${largestChild.workflowId}`;
  const events = [...runs, ...children].reduce((a, w) => a + w.historyLength, 0);
  const env = process.env;

  line('machine', r.machine);
  line(
    'cluster',
    `${r.nodes} nodes (3 control plane + ${r.nodes - 3} workers), ${r.pods} pods in ${r.deployments} Deployments + budgets; plus the seed's nginx (2) and node-agent DaemonSet (1 per node)`,
  );
  line(
    'cluster setup time',
    `${secs(r.setup.nodes + r.setup.pods)} (control plane + nodes Ready ${secs(r.setup.nodes)}, pods Running/Ready ${secs(r.setup.pods)})`,
  );
  line(
    'total upgrade time',
    `${secs(r.total)} (${r.phase}; batches of ${r.batch} workers after 3 control-plane nodes one by one)`,
  );
  line(
    'nodes at the new version (API)',
    `${atTarget} of ${r.nodes} at ${r.to}${listed !== r.nodes ? ` (${listed} nodes listed)` : ''}` +
      (atTarget === r.nodes ? '' : `; others: ${others.join(', ')}`),
  );
  const perRun = runs.map((run) => run.historyLength).sort((a, b) => a - b);
  line('parent runs (continue-as-new)', `${runs.length} (maxHistoryEvents 4000), events per run: ${perRun.join(', ')}`);
  line(
    'largest history',
    `${largest} events (${largestIs}; largest child ${largestChild.historyLength}) — target < ${HISTORY_TARGET}: ${ok(largest < HISTORY_TARGET)}`,
  );
  line(
    'workflows / events in all',
    `${runs.length + children.length} executions, ${events} events (${children.length} nodeUpgrade children)`,
  );
  if (typeof r.breakdown === 'string') {
    line('where the upgrade time went', `could not read the histories: ${r.breakdown}`);
  } else if (r.breakdown) {
    line('where the upgrade time went', r.breakdown[0] ?? '');
    for (const more of r.breakdown.slice(1)) lines.push(`${''.padEnd(35)}${more}`);
  }

  line(
    'worker peak RSS (VmHWM)',
    `${mb(r.worker.peakKb)} (pid ${r.worker.pid}: scripts/worker.sh, heap cap ${env.K8S_RU_WORKER_HEAP_MB ?? 192} MB, semi-space ${env.K8S_RU_WORKER_SEMI_SPACE_MB ?? 4} MB, MALLOC_ARENA_MAX ${env.MALLOC_ARENA_MAX ?? 2}) — target < ${WORKER_RSS_TARGET_MB} MB: ${ok(r.worker.peakKb / 1024 < WORKER_RSS_TARGET_MB)}`,
  );
  line('worker peak RSS during upgrade', `${mb(r.worker.sampledPeakKb)} (VmRSS sampled every second)`);
  line('worker at its peak of cached workflows', r.worker.stats);
  line(
    'Temporal server peak RSS',
    `${mb(r.temporal.peakKb)} (${r.temporal.what ?? `VmHWM of pid ${r.temporal.pid}, dev server on SQLite`})`,
  );
  const components = Object.entries(r.cluster).map(([n, kb]) => `${n} ${mb(kb)}`);
  line('cluster peak RSS (VmHWM)', components.join(', '));

  const { busy, processes, bench } = r.cpu;
  const available = (r.total / 1000) * coreCount();
  line(
    'CPU during the upgrade',
    `${busy.toFixed(0)} s busy of ${available.toFixed(0)} s available (${coreCount()} cores)`,
  );
  for (const [n, s] of processes) {
    line(`  ${n}`, `${s.toFixed(1)} s (${((100 * s) / Math.max(busy, 1)).toFixed(0)}%)`);
    if (n === 'kube-controller-manager' && r.busiest.length > 0) {
      const queues = r.busiest.map(([q, w]) => `${q} ${w.toFixed(0)} s`).join(', ');
      line('    busiest controllers', `${queues} (time in work queues)`);
    }
  }
  const counted = processes.reduce((a, [, s]) => a + s, 0) + bench;
  line('  bench process (client, polling)', `${bench.toFixed(1)} s`);
  line('  everything else on the machine', `${Math.max(0, busy - counted).toFixed(1)} s (other sessions' work)`);
  return lines;
}
