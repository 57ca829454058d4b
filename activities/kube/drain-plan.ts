/**
 * Drain planning, as kubectl's drain library does it: small pure filters decide for each pod on the
 * node whether it is evicted, skipped (with the reason) or refused (with the option that overrides),
 * the first refusal or skip stopping the chain. Acting on the plan is drain.ts's job.
 */
import type { V1Pod } from '@kubernetes/client-node';

export interface DrainOptions {
  /** evict pods using emptyDir volumes (their data is lost) */
  deleteEmptyDirData: boolean;
  /** also remove pods no controller recreates (they are gone for good) */
  force: boolean;
}

export type Verdict =
  | { action: 'evict' }
  | { action: 'wait'; reason: string }
  | { action: 'skip'; reason: string }
  | { action: 'refuse'; reason: 'unmanaged' | 'local-storage'; message: string };

type Filter = (pod: V1Pod, options: DrainOptions) => Verdict | undefined;

const podName = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

const terminating: Filter = (pod) =>
  pod.metadata?.deletionTimestamp ? { action: 'wait', reason: 'already terminating' } : undefined;

const finished: Filter = (pod) =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
    ? { action: 'evict' } // no budget counts a finished pod; removing it is always safe
    : undefined;

const daemonSet: Filter = (pod) =>
  pod.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet')
    ? { action: 'skip', reason: 'DaemonSet-managed (its controller keeps one on every node)' }
    : undefined;

const mirror: Filter = (pod) =>
  pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined
    ? { action: 'skip', reason: 'mirror pod (static, managed by the kubelet)' }
    : undefined;

const localStorage: Filter = (pod, o) =>
  !o.deleteEmptyDirData && !o.force && pod.spec?.volumes?.some((v) => v.emptyDir !== undefined)
    ? { action: 'refuse', reason: 'local-storage', message: 'uses emptyDir local storage (use deleteEmptyDirData)' }
    : undefined;

const unmanaged: Filter = (pod, o) =>
  !o.force && !pod.metadata?.ownerReferences?.some((r) => r.controller)
    ? {
        action: 'refuse',
        reason: 'unmanaged',
        message: 'not managed by a controller: it would not come back (use force)',
      }
    : undefined;

const FILTERS: Filter[] = [terminating, finished, daemonSet, mirror, localStorage, unmanaged];

/** The verdict on one pod: the first filter that decides, else evict. */
export function verdict(pod: V1Pod, options: DrainOptions): Verdict {
  for (const filter of FILTERS) {
    const v = filter(pod, options);
    if (v) return v;
  }
  return { action: 'evict' };
}

export interface DrainPlan {
  evict: V1Pod[];
  wait: V1Pod[];
  skipped: string[];
  refused: { pod: string; reason: 'unmanaged' | 'local-storage'; message: string }[];
}

export function planDrain(pods: V1Pod[], options: DrainOptions): DrainPlan {
  const plan: DrainPlan = { evict: [], wait: [], skipped: [], refused: [] };
  for (const pod of pods) {
    const v = verdict(pod, options);
    if (v.action === 'evict') plan.evict.push(pod);
    else if (v.action === 'wait') plan.wait.push(pod);
    else if (v.action === 'skip') plan.skipped.push(`${podName(pod)}: ${v.reason}`);
    else plan.refused.push({ pod: podName(pod), reason: v.reason, message: v.message });
  }
  return plan;
}

/** Refusals grouped under one line per reason: "not managed by a controller ... (use force): ns/a, ns/b". */
export function refusalSummary(plan: DrainPlan): string[] {
  const groups = new Map<string, string[]>();
  for (const r of plan.refused) groups.set(r.message, [...(groups.get(r.message) ?? []), r.pod]);
  return [...groups].map(
    ([message, pods]) =>
      `cannot evict pods that ${message.replace(/^uses/, 'use').replace(/^not/, 'are not')}: ${pods.join(', ')}`,
  );
}
