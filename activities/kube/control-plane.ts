/**
 * The scheduler and the controller-manager, seen through their leader Leases in kube-system: a leader
 * renews its Lease every few seconds, so one not renewed for longer than its duration has no working
 * leader. This holds on any distribution, whether the components run as pods, as services or inside
 * another binary. The age is taken on the API server's clock (its `Date` header), not the worker's.
 */
import { apiGet } from './raw.js';
import type { Kube } from './client.js';

export const CONTROL_PLANE_COMPONENTS = ['kube-scheduler', 'kube-controller-manager'] as const;

/** Seconds past a Lease's duration before its leader counts as gone (a renewal late under load). */
export const LEASE_SLACK_SECONDS = 5;
/** The client-go default, for a Lease that does not say. */
const DEFAULT_LEASE_SECONDS = 15;

/** The fields of a coordination.k8s.io/v1 Lease the check reads. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
}

/** How long ago the Lease was renewed, in whole seconds; undefined when it does not say. */
function ageSeconds(lease: LeaseSpec, now: number): number | undefined {
  const renewed = lease.renewTime ? Date.parse(lease.renewTime) : NaN;
  return Number.isNaN(renewed) ? undefined : Math.max(0, Math.round((now - renewed) / 1000));
}

/** Why `component`'s Lease shows no working leader at `now` (ms), if it does not; `lease` undefined: none. */
export function leaseProblem(component: string, lease: LeaseSpec | undefined, now: number): string | undefined {
  if (!lease) return `${component}: no Lease kube-system/${component} (not running, or not electing a leader)`;
  if (!lease.holderIdentity) return `${component}: no leader holds its Lease (released)`;
  const age = ageSeconds(lease, now);
  if (age === undefined) return `${component}: its Lease has no renewTime`;
  const duration = lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS;
  if (age <= duration + LEASE_SLACK_SECONDS) return undefined;
  return `${component} has not renewed its leader Lease for ${age} s (lease ${duration} s, held by ${lease.holderIdentity})`;
}

async function readLease(
  kube: Kube,
  component: string,
  signal: AbortSignal,
): Promise<{ problem?: string; seen: string }> {
  const answer = await apiGet(kube, `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${component}`, signal);
  if (answer.status === 404) return { problem: leaseProblem(component, undefined, Date.now()), seen: '' };
  if (answer.status === 401 || answer.status === 403) {
    throw new Error(
      `forbidden (HTTP ${answer.status}): cannot get leases kube-system/${component}; the worker's role needs it (deploy/rbac.yaml)`,
    );
  }
  if (answer.status !== 200) throw new Error(`get leases kube-system/${component}: HTTP ${answer.status}`);
  let lease: LeaseSpec;
  try {
    lease = (JSON.parse(answer.text) as { spec?: LeaseSpec }).spec ?? {};
  } catch {
    throw new Error(`get leases kube-system/${component}: the answer is not a Lease`);
  }
  const now = answer.serverTime ?? Date.now();
  return {
    problem: leaseProblem(component, lease, now),
    seen: `${component} renewed ${ageSeconds(lease, now) ?? '?'} s ago`,
  };
}

/** Every control-plane component whose Lease shows no working leader, and what was seen when both lead. */
export async function controlPlaneHealth(kube: Kube, signal: AbortSignal): Promise<{ problems: string[]; ok: string }> {
  const found = await Promise.all(CONTROL_PLANE_COMPONENTS.map((c) => readLease(kube, c, signal)));
  return {
    problems: found.flatMap((f) => (f.problem ? [f.problem] : [])),
    ok: `leaders renew: ${found.map((f) => f.seen).join(', ')}`,
  };
}
