/**
 * Drain: empty a cordoned node through the Eviction API (policy/v1), so every PodDisruptionBudget is
 * respected, then wait until the pods are really gone (graceful termination). A 429 means a budget
 * would be broken: that pod is tried again next round until the deadline. At the deadline the drain
 * returns what still blocks it (each pod with its reason and budget) instead of forcing anything.
 * `force` deletes instead of evicting (budgets bypassed): only on an operator's explicit decision.
 */
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import pLimit from 'p-limit';
import { Failure } from '../../model/errors.js';
import type { BlockedPod, DrainResult } from '../../model/kube.js';
import { apiMessage, call, classify, type Kube, statusCode } from './client.js';
import { budgetName, budgetState, budgetsFor } from './budgets.js';
import { type DrainOptions, planDrain } from './drain-plan.js';
import { countRefusedEviction } from '../metrics.js';

export interface DrainRequest extends DrainOptions {
  node: string;
  /** epoch ms after which the drain stops and reports what blocks it */
  deadline: number;
  /** grace period for evicted pods; undefined = each pod's own */
  gracePeriodSeconds?: number;
  /** delete pods instead of evicting them (budgets bypassed), and remove unmanaged and emptyDir pods */
  deletePods?: boolean;
  /** ms between rounds while something blocks */
  pollMs?: number;
}

/** Pods deleted rather than evicted, with when (carried in heartbeats, so a retried drain keeps them). */
export type Deleted = NonNullable<DrainResult['deleted']>;

export interface DrainHooks {
  heartbeat(progress: { podsLeft: number; blocked: BlockedPod[]; deleted: Deleted }): void;
  /** the pods deleted so far: what earlier attempts deleted (their last heartbeat), this one adds to it */
  deleted?: Deleted;
  /** cancellation-aware sleep (rejects when the drain is cancelled) */
  sleep(ms: number): Promise<void>;
  /** throws when the drain was cancelled (checked before every eviction) */
  checkCancelled?(): void;
}

/** Evictions in flight at once (kubectl drain sends all at once, paced by its 5/s client rate limit). */
const EVICTIONS_AT_ONCE = 10;

const ref = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/** Deletes a pod at once (grace period 0), bypassing budgets; a pod already gone is fine. */
export async function deletePodNow(kube: Kube, pod: V1Pod): Promise<void> {
  await kube.core
    .deleteNamespacedPod({
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? '',
      gracePeriodSeconds: 0,
    })
    .catch((err: unknown) => {
      if (statusCode(err) !== 404) throw classify(err, kube, 'delete', `pod ${ref(pod)}`);
    });
}

/** The pods bound to a node, in every namespace. */
export async function podsOn(kube: Kube, node: string): Promise<V1Pod[]> {
  const list = await call(kube, 'list', 'pods', () =>
    kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }),
  );
  return list.items;
}

/** How long one read of the budgets serves every drain of the cluster. */
export const BUDGETS_FRESH_MS = 1000;
const budgetReads = new WeakMap<Kube, { at: number; read: Promise<V1PodDisruptionBudget[]> }>();

/**
 * Every budget of the cluster, to name the one behind a refused eviction. One read serves every drain
 * this worker runs for BUDGETS_FRESH_MS: a batch of 99 drains, refused by budgets every round, would
 * otherwise list them all 99 times a round (at 1,000 nodes this cut the worker's CPU by a quarter;
 * its peak memory did not move). A failed read is not kept.
 */
export function sharedBudgets(kube: Kube, now = Date.now()): Promise<V1PodDisruptionBudget[]> {
  const last = budgetReads.get(kube);
  if (last && now - last.at < BUDGETS_FRESH_MS) return last.read;
  const entry = {
    at: now,
    read: call(kube, 'list', 'poddisruptionbudgets', () => kube.policy.listPodDisruptionBudgetForAllNamespaces()).then(
      (list) => list.items,
    ),
  };
  budgetReads.set(kube, entry);
  entry.read.catch(() => {
    if (budgetReads.get(kube) === entry) budgetReads.delete(kube);
  });
  return entry.read;
}

/** One eviction (or deletion); returns the reason it is blocked, or undefined when it went through. */
async function remove(kube: Kube, pod: V1Pod, req: DrainRequest): Promise<BlockedPod | undefined> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const deleteOptions =
    req.gracePeriodSeconds === undefined ? undefined : { gracePeriodSeconds: req.gracePeriodSeconds };
  try {
    if (req.deletePods) {
      await kube.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: req.gracePeriodSeconds });
    } else {
      await kube.core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions },
      });
    }
    return undefined;
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) return undefined; // already gone
    // 500 "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support"
    if (code === 429 || (code === 500 && /disruption ?budget/i.test(apiMessage(err)))) {
      const covering = budgetsFor(pod, await sharedBudgets(kube));
      const budget = covering[0];
      countRefusedEviction(kube.cluster, covering.map(budgetName).join(', ') || undefined);
      return {
        pod: ref(pod),
        reason: 'budget',
        budget: covering.map(budgetName).join(', ') || undefined,
        message:
          covering.length > 1
            ? `eviction refused: more than one budget covers it (${covering.map(budgetName).join(', ')})`
            : `eviction refused (HTTP ${code}): budget ${budget ? `${budgetName(budget)} ${budgetState(budget)}` : apiMessage(err)}`,
      };
    }
    if (code === 403 && /disruption/i.test(apiMessage(err))) {
      return { pod: ref(pod), reason: 'budget', message: `eviction refused: ${apiMessage(err)}` };
    }
    throw classify(err, kube, req.deletePods ? 'delete' : 'create', `pods/eviction ${ref(pod)}`);
  }
}

export async function drainNode(kube: Kube, req: DrainRequest, hooks: DrainHooks): Promise<DrainResult> {
  const requested = new Set<string>(); // uids already evicted or deleted
  const forcedNow = new Set<string>(); // uids of terminating pods a forced drain removed at once
  const deleted: Deleted = hooks.deleted ?? [];
  let progress: { podsLeft: number; blocked: BlockedPod[] } = { podsLeft: 0, blocked: [] };
  const wasDeleted = (pod: V1Pod) => {
    if (!deleted.some((d) => d.pod === ref(pod))) deleted.push({ pod: ref(pod), at: new Date().toISOString() });
    hooks.heartbeat({ ...progress, deleted }); // at once: a retried attempt must know, the pod is gone
  };
  for (;;) {
    const plan = planDrain(await podsOn(kube, req.node), {
      deleteEmptyDirData: req.deleteEmptyDirData,
      force: req.force,
    });
    const blocked: BlockedPod[] = plan.refused.map((r) => ({
      pod: r.pod,
      reason: r.reason,
      message: `cannot evict: ${r.message}`,
    }));
    // Evictions go out several at a time (like kubectl drain); the API server still checks each
    // against its budget, so at most what the budgets allow goes at once.
    const limit = pLimit(EVICTIONS_AT_ONCE);
    const outcomes = await Promise.all(
      plan.evict.map((pod) =>
        limit(async () => {
          if (requested.has(pod.metadata?.uid ?? '')) return undefined;
          hooks.checkCancelled?.(); // never start an eviction after an abort
          const why = await remove(kube, pod, req);
          if (!why) requested.add(pod.metadata?.uid ?? '');
          if (!why && req.deletePods) wasDeleted(pod);
          return why;
        }),
      ),
    ).catch((err: unknown) => {
      limit.clearQueue(); // nothing more starts once one failed or the drain was cancelled
      throw err;
    });
    for (const [i, pod] of plan.evict.entries()) {
      blocked.push(
        outcomes[i] ?? { pod: ref(pod), reason: 'terminating', message: 'evicted; waiting for graceful termination' },
      );
    }
    for (const pod of plan.wait) {
      // A forced drain does not wait out a stuck termination: it removes the pod at once.
      if (req.deletePods && !forcedNow.has(pod.metadata?.uid ?? '')) {
        hooks.checkCancelled?.();
        await deletePodNow(kube, pod);
        forcedNow.add(pod.metadata?.uid ?? '');
        wasDeleted(pod);
      }
      blocked.push({ pod: ref(pod), reason: 'terminating', message: 'waiting for graceful termination' });
    }
    const podsLeft = plan.evict.length + plan.wait.length + plan.refused.length;
    progress = { podsLeft, blocked };
    hooks.heartbeat({ podsLeft, blocked, deleted });
    const result: DrainResult = {
      node: req.node,
      drained: podsLeft === 0,
      evicted: requested.size,
      skipped: plan.skipped,
      podsLeft,
      blocked,
      timedOut: false,
      ...(deleted.length > 0 ? { deleted } : {}),
    };
    if (result.drained) return result;
    // Refusals need an operator: no point waiting for the deadline.
    if (blocked.length > 0 && blocked.every((b) => b.reason === 'unmanaged' || b.reason === 'local-storage'))
      return result;
    // The deadline bounds getting evictions accepted; pods already evicted are given their grace period.
    const onlyTerminating = blocked.every((b) => b.reason === 'terminating');
    const graceEnds =
      Math.max(0, ...plan.wait.map((p) => new Date(p.metadata?.deletionTimestamp ?? 0).getTime())) + 30_000;
    if (Date.now() >= req.deadline && !(onlyTerminating && Date.now() < graceEnds))
      return { ...result, timedOut: true };
    await hooks.sleep(onlyTerminating ? 500 : Math.min(req.pollMs ?? 2000, Math.max(0, req.deadline - Date.now())));
  }
}

/**
 * A drain that ends in an error after deleting pods (cancelled by an abort, or out of retries) still
 * names them: the error's details carry `{ deleted }`, so the status and the record keep them. A
 * cancelled one ends non-retryable (nothing should run it again).
 */
export function withDeleted(err: unknown, deleted: Deleted, cancelled: boolean): unknown {
  if (deleted.length === 0) return err;
  const failure = err instanceof ApplicationFailure ? err : undefined;
  return ApplicationFailure.create({
    message: cancelled
      ? `drain cancelled after deleting ${deleted.length} pod(s)`
      : (failure?.message ?? (err instanceof Error ? err.message : String(err))),
    type: cancelled ? Failure.DrainCancelled : (failure?.type ?? Failure.KubeApiError),
    nonRetryable: cancelled || (failure?.nonRetryable ?? false),
    details: [{ deleted }],
    cause: err instanceof Error ? err : undefined,
  });
}
