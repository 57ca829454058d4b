/** How the CLI shows an upgrade: `openstack coe cluster show`-style fields and a node table. */
import type { Cluster, ClusterTemplate } from '../model/catalogue.js';
import type { Holder } from '../model/lock.js';
import { holderText } from '../model/lock.js';
import type { ClusterRecord } from '../model/record.js';
import type { ForcedDeletion, NodeProgress, UpgradeStatus } from '../model/status.js';
import { unreachableText } from '../workflows/rolling-upgrade/status.js';
import { baselineText } from './baseline.js';
import { fields, table } from './table.js';

export function clusterShow(
  cluster: Cluster,
  template: ClusterTemplate,
  record: ClusterRecord,
  upgrade?: UpgradeStatus,
  lock?: { holder?: Holder },
): string {
  const running = upgrade && !['completed', 'aborted', 'failed'].includes(upgrade.phase);
  const status = running ? upgrade.clusterStatus : record.status;
  return fields([
    ['status', status],
    [
      'status_reason',
      running
        ? [unreachableText(upgrade), upgrade.pausedReason].filter(Boolean).join('; ') ||
          `${upgrade.phase}: ${upgrade.done}/${upgrade.nodes.length} nodes done`
        : record.status_reason,
    ],
    ['health_status', running ? upgrade.health : (record.health_status ?? 'UNKNOWN')],
    ['cluster_template_id', template.uuid],
    ['uuid', cluster.uuid],
    ['name', cluster.name],
    ['coe_version', record.coe_version],
    ['labels', template.labels],
    ['keypair', cluster.keypair ?? ''],
    ['master_count', cluster.master_count ?? ''],
    ['node_count', cluster.node_count ?? ''],
    ['updated_at', record.updated_at],
    [
      'upgrade',
      upgrade
        ? `${upgrade.workflowId}: ${upgrade.phase} (${upgrade.fromVersion ?? '?'} → ${upgrade.toVersion ?? '?'})`
        : '',
    ],
    ['health_status_reason', upgrade ? healthReason(upgrade) : ''],
    ['lock', lock ? lockText(lock.holder) : ''],
    ['faults', upgrade?.errors.length ? upgrade.errors.join('; ') : ''],
    ['forced_deletions', forced(upgrade?.forcedDeletions ?? record.forced_deletions ?? [])],
    ['left_cordoned', (running ? [] : (record.left_cordoned ?? [])).join(', ')],
    ['baseline', baselineText(upgrade ? upgrade.baseline : record.baseline)],
    ['rejected_messages', upgrade?.rejected.length ? upgrade.rejected.join('; ') : ''],
  ]);
}

/**
 * The last gate's checks, then each node's smoke pod (`smoke-pod/<node>`), each with what it observed
 * ("ok: all Ready", "ok: Ready after 2 s on w-1"); a failed one with what it showed and, for a smoke
 * pod never Ready, where to look (kept after the node moved on: resumed, or aborted).
 */
export function healthReason(upgrade: UpgradeStatus): Record<string, string> | '' {
  const checks: { name: string; ok: boolean; detail: string; lookAt?: string }[] = [
    ...(upgrade.lastGate?.checks ?? []),
    ...upgrade.nodes.flatMap((n) => (n.smoke ? [{ ...n.smoke, name: `smoke-pod/${n.name}` }] : [])),
  ];
  if (checks.length === 0) return '';
  const said = (c: (typeof checks)[number]) => (c.lookAt ? `${c.detail}; look at ${c.lookAt}` : c.detail);
  const ok = (c: (typeof checks)[number]) => (c.detail && c.detail !== 'ok' ? `ok: ${c.detail}` : 'ok');
  return Object.fromEntries(checks.map((c) => [c.name, c.ok ? ok(c) : said(c)]));
}

/**
 * Who holds the cluster's upgrade lock (the entity's answer, a holder whose workflow ended cleared):
 * the workflow a new start is refused for, or `free`.
 */
export function lockText(holder: Holder | undefined): string {
  return holder ? `held by ${holderText(holder)}` : 'free';
}

/** "ns/pod on node-1 at 03:12:09 (forceDrain by the operator)", one per line. */
export function forced(deletions: ForcedDeletion[]): string {
  return deletions.map((d) => `${d.pod} on ${d.node} at ${d.at} (${d.decision})`).join('\n');
}

const state = (n: NodeProgress) =>
  `${n.step}${n.cordoned ? ', cordoned' : ''}${n.podsLeft ? `, ${n.podsLeft} pods left` : ''}`;

export function nodeTable(nodes: NodeProgress[]): string {
  return table(
    ['node', 'role', 'version', 'state', 'detail'],
    nodes.map((n) => [n.name, n.role, n.version, state(n), n.detail ?? '']),
  );
}

export function blockedReport(status: UpgradeStatus): string {
  const lines: string[] = [];
  for (const n of status.nodes.filter((x) => x.step === 'blocked' && x.blocked?.length)) {
    lines.push(`${n.name} is blocked:`);
    for (const b of n.blocked ?? []) lines.push(`  - ${b.pod}: ${b.message}`);
  }
  for (const n of status.nodes.filter((x) => x.step === 'smoke-failed' && x.smoke)) {
    const o = n.smoke?.observed;
    lines.push(`${n.name}: its smoke pod never became Ready (resume runs it again):`);
    if (o) {
      lines.push(`  phase: ${o.phase ?? 'unknown'}`);
      for (const [what, list] of [
        ['conditions', o.conditions],
        ['containers', o.containers],
        ['events', o.events],
      ] as const)
        if (list.length > 0) lines.push(`  ${what}: ${list.join('; ')}`);
    } else lines.push(`  ${n.smoke?.detail ?? ''}`);
    if (n.smoke?.lookAt) lines.push(`  look at: ${n.smoke.lookAt}`);
  }
  return lines.join('\n');
}

/** One line per node change, like `kubectl get node -w`. */
export function nodeLine(n: NodeProgress): string {
  return `${n.name.padEnd(40)} ${n.role.padEnd(13)} ${n.version.padEnd(8)} ${state(n)}${n.detail ? ` — ${n.detail}` : ''}`;
}
