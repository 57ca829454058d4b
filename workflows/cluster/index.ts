/**
 * `clusterRecord`: the entity of one cluster (id `cluster-<name>`, see model/lock.ts), running for
 * ever. It holds the cluster's record — what `kru status` shows — and grants the one-upgrade-per-cluster
 * lock through the `acquire` update: of two workflows that ask at once exactly one gets it, whatever
 * their ids. Only the holder changes the record; it lets go when it ends, however it ends. A holder
 * that ended without letting go (terminated, timed out) is found out when another asks: an activity
 * describes its workflow, and a closed one loses the lock. Created on first use by the activities
 * (update-with-start, from the catalogue's record); bounded by continue-as-new, carrying its state.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { Failure } from '../../model/errors.js';
import type { Acquired, ClusterEntityInput, HeldBefore, Holder, HolderRef } from '../../model/lock.js';
import { holderAdvice, holderText } from '../../model/lock.js';
import { autoUpgrade } from '../versioning.js';
import { checkAcquire, checkInput, checkPatch } from './checks.js';
import { showState } from './display.js';
import { acquire, DESCRIPTIONS, patch, record, release, settle, state } from './messages.js';
import { ClusterLedger } from './state.js';

/** Describing a holder's workflow: one quick call, retried through short outages. */
const act = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});

/**
 * A holder found running this recently is an obvious conflict: the validator refuses another's
 * `acquire` without asking again (nothing enters the history).
 */
const FRESH_MS = 10_000;

const now = () => new Date(Date.now()).toISOString();

/** The refusal a caller reads: who holds the cluster and how to watch or stop it. */
function refusal(cluster: string, h: Holder): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `cluster ${cluster} is locked by ${holderText(h)}: ${holderAdvice(cluster, h)}`,
    Failure.ClusterLocked,
    { workflowId: h.workflowId, purpose: h.purpose },
  );
}

/** Runs the handlers that wait on an activity one after another, so each decides on the state as it is. */
function serially() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = last.then(fn);
    last = next.catch(() => undefined);
    return next;
  };
}

export async function clusterRecord(input: ClusterEntityInput): Promise<never> {
  const checked = checkInput(input);
  const ledger = new ClusterLedger(checked);
  const { cluster } = ledger.state;
  const show = () => showState(ledger.state);
  const serial = serially();

  const notHolder = (ref: HolderRef, what: string) => {
    const h = ledger.holder;
    return ApplicationFailure.nonRetryable(
      `${ref.workflowId} may not ${what} the record of cluster ${cluster}: ` +
        (h ? `${holderText(h)} holds its lock` : 'it does not hold its lock (no workflow does)'),
      Failure.ClusterLocked,
    );
  };

  /** Clears the holder when its workflow has ended; true when the lock is free or `ref`'s. */
  const check = async (ref?: HolderRef): Promise<{ free: boolean; lost?: HeldBefore }> => {
    let lost: HeldBefore | undefined;
    for (;;) {
      const h = ledger.holder;
      if (!h || (ref && ledger.isHolder(ref))) return { free: true, lost };
      const found = await act.holderState({ workflowId: h.workflowId, runChain: h.runChain });
      if (ledger.holder !== h) continue; // it let go meanwhile
      if (found.running) {
        ledger.seenRunning(now());
        return { free: false, lost };
      }
      lost = ledger.lost(found, now());
      show();
    }
  };

  setHandler(record, () => ledger.state.record, { description: DESCRIPTIONS.record });
  setHandler(state, () => ledger.state, { description: DESCRIPTIONS.state });
  setHandler(
    acquire,
    (req): Promise<Acquired> =>
      serial(async () => {
        const { free, lost } = await check(req.holder);
        const h = ledger.holder;
        if (!free && h) throw refusal(cluster, h);
        ledger.grant(req, now());
        show();
        return lost ? { record: ledger.state.record, lost } : { record: ledger.state.record };
      }),
    {
      description: DESCRIPTIONS.acquire,
      validator: (req) => {
        checkAcquire(req);
        const h = ledger.holder;
        if (h && !ledger.isHolder(req.holder) && h.seenRunning && Date.now() - Date.parse(h.seenRunning) < FRESH_MS)
          throw refusal(cluster, h);
      },
    },
  );
  setHandler(
    patch,
    (req) => {
      if (!ledger.isHolder(req.holder)) throw notHolder(req.holder, 'change');
      ledger.patch(req.patch, now());
      show();
      return ledger.state.record;
    },
    {
      description: DESCRIPTIONS.patch,
      validator: (req) => {
        checkPatch(req, false, 'patch');
        if (!ledger.isHolder(req.holder)) throw notHolder(req.holder, 'change');
      },
    },
  );
  setHandler(
    release,
    (req) => {
      // A caller that no longer holds the lock (a retried release) changes nothing.
      if (ledger.isHolder(req.holder)) {
        ledger.release(req.patch, now());
        show();
      }
      return ledger.state.record;
    },
    { description: DESCRIPTIONS.release, validator: (req) => checkPatch(req, true, 'release') },
  );
  setHandler(settle, () => serial(async () => (await check()).lost ?? null), { description: DESCRIPTIONS.settle });
  show();

  const limit = checked.maxHistoryEvents;
  await condition(() => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  });
  await condition(allHandlersFinished);
  return await continueAsNew<typeof clusterRecord>(ledger.carry(limit));
}

// Runs for ever: each workflow task goes to the current worker build when Worker Versioning is on
// (its code must stay replay-compatible with the histories of the builds before).
setWorkflowOptions(autoUpgrade, clusterRecord);
