/** The activities a `nodeUpgrade` child calls, with the timeouts and retries each kind needs. */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { Failure } from '../../model/errors.js';

// Reading, cordoning and restoring a node are single quick API calls: as local activities they run in
// the worker within the workflow task, without a round trip to the server each.
/** Snapshot and cordon; retried across an API outage of up to about half an hour, like the long steps. */
export const steps = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 60 },
});

/** Putting a node back is retried until it works (an API outage must not leave it cordoned). */
export const putBack = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    nonRetryableErrorTypes: [Failure.Forbidden, Failure.NodeNotFound],
  },
});

/**
 * Drain, replace, surge, retire and wait-ready, allowed `seconds` of work: heartbeats detect a dead
 * worker long before the start-to-close timeout. A cancelled drain stops evicting before the node is
 * put back, so cancellation waits for the activity to finish. Retries span about half an hour, so an
 * API server that is down for a while (a control-plane restart, an etcd restore) does not fail the node.
 */
export function long(seconds: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: `${seconds + 3600}s`,
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 60 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}
