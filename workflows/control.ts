/**
 * The message API of an upgrade, declared up front. Signals are fire-and-forget requests acted on
 * at the next safe point; updates are decisions that need an answer (refused with a reason when they
 * do not apply); the query reads progress without touching anything.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DrainDecision, NodeReport, UpgradeStatus } from '../model/status.js';

/** What the worker tells an upgrade about the reach of its cluster's API server (see worker/reach.ts). */
export interface ApiReach {
  reachable: boolean;
  /** ISO time of the attempt */
  at: string;
  attempt: number;
  message: string;
}

export interface Reason {
  reason?: string;
}
export interface NodeTarget {
  node: string;
}

/** Signal: stop before the next node (never mid-node); the cluster stays as it is until `resume`. */
export const pause = defineSignal<[Reason?]>('pause');
/** Signal: continue a paused upgrade (re-checking the health gate if that is what paused it). */
export const resume = defineSignal<[Reason?]>('resume');
/** Signal: stop at the next safe point and restore every node being worked on to its prior state. */
export const abort = defineSignal<[Reason?]>('abort');
/** Query: the upgrade's progress (phase, nodes and their versions, blocked pods, last gate, errors). */
export const status = defineQuery<UpgradeStatus>('status');

/** Update: try a blocked drain again, optionally with a longer timeout. */
export const retryDrain = defineUpdate<string, [NodeTarget & { timeoutSeconds?: number }]>('retryDrain');
/** Update: delete the blocked node's pods instead of evicting them (budgets bypassed), then go on. */
export const forceDrain = defineUpdate<string, [NodeTarget]>('forceDrain');
/**
 * Update: give up on the parked node and go on with the rest. A blocked drain's node is uncordoned at
 * its old version; a node whose replacement failed stays cordoned (its state is unknown).
 */
export const skipNode = defineUpdate<string, [NodeTarget]>('skipNode');
/** Update: run the failed replacement of the node again (it stays cordoned meanwhile). */
export const retryReplace = defineUpdate<string, [NodeTarget]>('retryReplace');

/** Internal signal, worker → upgrade (or node child, which passes it on): the API server's reach. */
export const apiReach = defineSignal<[ApiReach]>('apiReach');

/** Internal signal, child → parent: a node's progress. */
export const nodeProgress = defineSignal<[NodeReport]>('nodeProgress');
/** Internal signal, parent → child: the operator's decision on a blocked drain. */
export const drainDecision = defineSignal<[DrainDecision]>('drainDecision');
/** Internal signal, parent → child: abort this node at its next safe point. */
export const abortNode = defineSignal('abortNode');

export const DESCRIPTIONS = {
  pause: 'Pause before the next node (never mid-node). Input: {"reason": "..."} (optional).',
  resume: 'Resume a paused upgrade; re-checks the health gate when a failed gate paused it.',
  abort: 'Abort at the next safe point; nodes being worked on are restored (uncordoned) to their prior state.',
  status:
    'Progress: phase, current node and step, nodes done/remaining with versions, blocked pods, last gate, errors.',
  retryDrain: 'Retry the blocked drain of {"node": NAME}, optionally with {"timeoutSeconds": N}.',
  forceDrain: 'Delete (not evict) the pods blocking the drain of {"node": NAME}: budgets are bypassed.',
  skipNode:
    'Skip the parked {"node": NAME} and go on: a blocked drain is uncordoned at its old version; a failed replacement stays cordoned.',
  retryReplace: 'Run the failed replacement of {"node": NAME} again (it stays cordoned meanwhile).',
  apiReach: "Internal: the worker says whether activities reach the cluster's API server.",
  nodeProgress: 'Internal: a nodeUpgrade child reports its progress.',
  drainDecision: "Internal: the operator decision for this node's blocked drain.",
  abortNode: 'Internal: abort this node at its next safe point.',
} as const;
