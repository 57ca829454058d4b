/**
 * The message API of a cluster's entity, declared up front. The lock and the record change only
 * through updates (the caller needs the answer: granted or refused, and why); queries read them.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  Acquired,
  AcquireRequest,
  ClusterState,
  HeldBefore,
  PatchRequest,
  ReleaseRequest,
} from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';

/** Query: the cluster's record (what `kru status` shows when no upgrade runs). */
export const record = defineQuery<ClusterRecord>('record');
/** Query: the record, the lock's holder and the last upgrades. */
export const state = defineQuery<ClusterState>('state');

/** Update: take the upgrade lock; refused, naming the holder, while another workflow holds it and runs. */
export const acquire = defineUpdate<Acquired, [AcquireRequest]>('acquire');
/** Update: change the record; only the lock's holder may. */
export const patch = defineUpdate<ClusterRecord, [PatchRequest]>('patch');
/** Update: let go of the lock, with the record's last change; a caller that does not hold it changes nothing. */
export const release = defineUpdate<ClusterRecord, [ReleaseRequest]>('release');
/** Update: clear the holder if its workflow has ended (what a caller that found it closed asks). */
export const settle = defineUpdate<HeldBefore | null, []>('settle');

export const DESCRIPTIONS = {
  record: "The cluster's record: status, status_reason, template, coe_version, the upgrade that changed it last.",
  state: "The record, the upgrade lock's holder (workflow id, since when) and the last upgrades that held it.",
  acquire:
    'Take the upgrade lock: {"holder": {"workflowId", "runChain"}, "purpose": "upgrade"|"recover", "target"?}. ' +
    'Refused while another running workflow holds it; a holder that ended loses it.',
  patch: 'Change the record: {"holder": {...}, "patch": {...}}; only the holder may.',
  release: 'Let go of the lock: {"holder": {...}, "patch"?: {...}}; the patch is how the upgrade ended.',
  settle: "Check the holder's workflow and clear the lock if it has ended (terminated, timed out).",
} as const;
