/** The activities the parent workflow calls, with the timeouts and retries each kind needs. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';

/** Catalogue, record and node reads: quick, retried through short outages. */
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});

/**
 * The record's last write, which also lets go of the lock: retried until the entity takes it (a
 * refusal, such as another holder, is not retried), so an upgrade that ended is never reported failed,
 * nor its cluster left locked, because the entity did not answer for a while.
 */
export const lasting = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/** The pre-flight plan: a refusal should come fast, so fewer tries. */
export const preflight = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 3 },
});

/** A gate retries inside until healthy or its own timeout (at most 1500 s), heartbeating. */
export const gates = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});
