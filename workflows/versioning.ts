/**
 * Worker Versioning behaviours a workflow asks for in its code. A worker without a deployment (its
 * build id alone is not one: every worker has that) may not name a behaviour at all — the server
 * refuses its workflow tasks — so the behaviour is asked only where the worker runs as a version.
 */
import type { WorkflowDefinitionOptions } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

/** AUTO_UPGRADE on a versioned worker (each task on the current build), nothing on an unversioned one. */
export function autoUpgrade(): WorkflowDefinitionOptions {
  return workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {};
}
