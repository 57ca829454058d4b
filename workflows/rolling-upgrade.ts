/**
 * `rollingUpgrade`: the whole upgrade of one cluster to a new template. Orchestration only: every
 * read or change of the world is an activity.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { UpgradeRequest, ValidatedUpgrade } from '../model/upgrade.js';

const { validateUpgrade } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

function checkRequest(request: unknown): asserts request is UpgradeRequest {
  const r = request as Partial<UpgradeRequest> | undefined;
  const problems: string[] = [];
  if (typeof r?.cluster !== 'string' || r.cluster === '') problems.push('"cluster" (a cluster name) is required');
  if (typeof r?.template !== 'string' || r.template === '') problems.push('"template" (a template name) is required');
  if (r?.allowSkew !== undefined && typeof r.allowSkew !== 'boolean') problems.push('"allowSkew" must be true or false');
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(`invalid upgrade input: ${problems.join('; ')}`, 'InvalidInput');
  }
}

export async function rollingUpgrade(request: UpgradeRequest): Promise<ValidatedUpgrade> {
  checkRequest(request);
  return await validateUpgrade(request);
}
