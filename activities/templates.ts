/**
 * Validation of a requested template move, as `openstack coe cluster upgrade` requires it: the same
 * label keys, a newer kube_tag within the skew policy, no other component tag moving backwards, and
 * a cluster that is not in the middle of (or broken by) another change. Every rule is checked and every
 * violation reported at once.
 */
import type { Catalogue, ClusterTemplate } from '../model/catalogue.js';
import { InvalidUpgradeError } from '../model/errors.js';
import { holderAdvice, holderText, type ClusterState } from '../model/lock.js';
import type { ClusterRecord } from '../model/record.js';
import type { UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';
import { compareVersions, parseVersion } from '../model/versions.js';
import { findCluster, findTemplate } from './catalogue/load.js';
import { probeRefusal } from './probe.js';

/**
 * Cluster states an upgrade may start from: one that ended, however it ended. A new upgrade skips the
 * nodes already at its target version and takes over the nodes an ended one left cordoned (its record
 * on each node says they were schedulable). A record still UPDATE_IN_PROGRESS or UPDATE_PAUSED names an
 * upgrade that runs, or one that ended without saying so (terminated, its worker lost): `recover`.
 */
const STARTABLE = /_COMPLETE$|^UPDATE_ABORTED$|^UPDATE_FAILED$/;

/** Labels holding the version of a component: compared when both values parse as versions. */
const VERSIONED_LABEL = /_(tag|version)$/;

function keyDifferences(current: ClusterTemplate, target: ClusterTemplate): string[] {
  const have = Object.keys(current.labels);
  const want = Object.keys(target.labels);
  const missing = have.filter((k) => !want.includes(k)).sort();
  const extra = want.filter((k) => !have.includes(k)).sort();
  const out: string[] = [];
  if (missing.length > 0) {
    out.push(`label keys differ: ${target.name} lacks ${missing.join(', ')} (present in ${current.name})`);
  }
  if (extra.length > 0) {
    out.push(`label keys differ: ${target.name} adds ${extra.join(', ')} (absent from ${current.name})`);
  }
  return out;
}

function kubeTagProblems(current: ClusterTemplate, target: ClusterTemplate, allowSkew: boolean): string[] {
  const from = current.labels.kube_tag ?? '';
  const to = target.labels.kube_tag ?? '';
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a) return [`kube_tag "${from}" of the current template ${current.name} is not a version like v1.12.7`];
  if (!b) return [`kube_tag "${to}" of ${target.name} is not a version like v1.12.7`];
  const order = compareVersions(b, a);
  if (order === 0) return [`kube_tag ${to} is the version the cluster already runs (${from}): nothing to upgrade`];
  if (order < 0) return [`kube_tag ${to} is older than the current ${from}: downgrades are not supported`];
  if (allowSkew) return [];
  if (b.major !== a.major) {
    return [`kube_tag ${from} → ${to} changes the major version; pass allowSkew to override the skew policy`];
  }
  if (b.minor - a.minor > 1) {
    return [
      `kube_tag ${from} → ${to} skips ${b.minor - a.minor - 1} minor version(s); the Kubernetes skew policy allows ` +
        `one minor version at a time (upgrade to v${a.major}.${a.minor + 1}.x first, or pass allowSkew)`,
    ];
  }
  return [];
}

function backwardTags(current: ClusterTemplate, target: ClusterTemplate): string[] {
  const out: string[] = [];
  for (const key of Object.keys(current.labels).sort()) {
    if (key === 'kube_tag' || !VERSIONED_LABEL.test(key)) continue;
    const before = current.labels[key];
    const after = target.labels[key];
    if (before === undefined || after === undefined) continue;
    const a = parseVersion(before);
    const b = parseVersion(after);
    if (a && b && compareVersions(b, a) < 0) out.push(`label ${key} moves backwards: ${before} → ${after}`);
  }
  return out;
}

/** Pure rule check: every violation of moving `record`'s cluster from `current` to `target`. */
export function upgradeViolations(
  record: ClusterRecord,
  current: ClusterTemplate,
  target: ClusterTemplate,
  allowSkew = false,
): string[] {
  const out: string[] = [];
  if (!STARTABLE.test(record.status)) {
    out.push(
      `cluster ${record.cluster} is ${record.status}` +
        (record.workflow_id ? ` (upgrade ${record.workflow_id})` : '') +
        ': an upgrade starts only from a *_COMPLETE, UPDATE_FAILED or UPDATE_ABORTED state' +
        (/^UPDATE_(IN_PROGRESS|PAUSED)$/.test(record.status)
          ? '; if that upgrade no longer runs (terminated, or its worker lost), `recover` the cluster first'
          : ''),
    );
  }
  out.push(...keyDifferences(current, target));
  out.push(...kubeTagProblems(current, target, allowSkew));
  out.push(...backwardTags(current, target));
  return out;
}

/**
 * Looks the move up in the catalogue and checks it against the cluster's state in Temporal (`state`, as
 * its entity holds it, a holder that ended already cleared): its record, and its lock's holder.
 */
export function validate(request: UpgradeRequest, catalogue: Catalogue, state: ClusterState): ValidatedUpgrade {
  const cluster = findCluster(catalogue, request.cluster);
  const target = findTemplate(catalogue, request.template);
  const { record, holder } = state;
  const current = findTemplate(catalogue, record.template);
  const violations = upgradeViolations(record, current, target, request.allowSkew ?? false);
  // A running holder (the record may not say so yet: the lock is taken before the plan and the gate).
  if (holder) {
    violations.unshift(
      `cluster ${cluster.name} is locked by ${holderText(holder)}: ${holderAdvice(cluster.name, holder)}`,
    );
  }
  if ((request.maxSurge ?? 0) > 0 && cluster.replace.provider !== 'kwok') {
    violations.push(
      `maxSurge needs a provider that registers new nodes (kwok); cluster ${cluster.name} uses '${cluster.replace.provider}', which upgrades nodes in place`,
    );
  }
  for (const probe of request.probes ?? []) {
    const refused = probeRefusal(probe.url, cluster.probeHosts ?? [], cluster.name);
    if (refused) violations.push(`probe ${probe.url}: ${refused}`);
  }
  if (violations.length > 0) throw new InvalidUpgradeError(cluster.name, target.name, violations);
  return {
    cluster: cluster.name,
    clusterUuid: cluster.uuid,
    fromTemplate: current.name,
    toTemplate: target.name,
    toTemplateUuid: target.uuid,
    fromVersion: current.labels.kube_tag ?? '',
    toVersion: target.labels.kube_tag ?? '',
    previousStatus: record.status,
  };
}
