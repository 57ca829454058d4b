/**
 * Every way an upgrade can be refused or fail, in one place. `Failure` names each failure type (the
 * `type` of the ApplicationFailure: what callers, retry policies and tests match on); the classes below
 * carry the facts of the failures raised with more than a message. Only retryable failures are retried
 * by Temporal; the rest mean "an operator must change something".
 */
import { ApplicationFailure } from '@temporalio/common';

export const Failure = {
  /** the catalogue file cannot be read or is malformed */
  CatalogueError: 'CatalogueError',
  /** no cluster of that name or uuid is in the catalogue */
  UnknownCluster: 'UnknownCluster',
  /** no cluster template of that name or uuid is in the catalogue */
  UnknownTemplate: 'UnknownTemplate',
  /** the template move breaks a rule (label keys, skew policy, downgrade, cluster busy) */
  InvalidUpgrade: 'InvalidUpgrade',
  /** the workflow input is malformed (it may come from `temporal workflow start --input`) */
  InvalidInput: 'InvalidInput',
  /** the cluster's API server does not answer */
  ClusterUnreachable: 'ClusterUnreachable',
  /** the API server refuses an action for lack of permission: the role must change */
  Forbidden: 'Forbidden',
  /** any other answer of the API server (5xx and 429 retried; other 4xx not) */
  KubeApiError: 'KubeApiError',
  /** the pre-flight gate found the cluster unhealthy: nothing was touched */
  UnhealthyCluster: 'UnhealthyCluster',
  /** the upgrade ended failed; its details carry the last status */
  UpgradeFailed: 'UpgradeFailed',
  /** an operator's update names a node that is not in the upgrade or not in the state it needs */
  BadRequest: 'BadRequest',
  /** the node to upgrade does not exist */
  NodeNotFound: 'NodeNotFound',
  /** a deleted node is still there (retried) */
  NodeNotDeleted: 'NodeNotDeleted',
  /** a replaced node was not Ready at the target version in time */
  NodeNotReady: 'NodeNotReady',
  /** the replacement command failed */
  ReplaceFailed: 'ReplaceFailed',
  /** an earlier run of the replacement command may still be running where this worker cannot see (another host) */
  ReplaceInDoubt: 'ReplaceInDoubt',
  /** a forced drain cancelled (an abort) after it deleted pods; its details name them */
  DrainCancelled: 'DrainCancelled',
  /** maxSurge with a provider that cannot register new nodes */
  SurgeUnsupported: 'SurgeUnsupported',
  /** another running workflow holds the cluster's upgrade lock (workflows/cluster/); its details name it */
  ClusterLocked: 'ClusterLocked',
} as const;

export type FailureType = (typeof Failure)[keyof typeof Failure];

/** Thrown when the catalogue file cannot be read or is malformed. */
export class CatalogueError extends ApplicationFailure {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`catalogue ${path}: ${problem}`, Failure.CatalogueError, true, [{ path, problem }]);
  }
}

/** Thrown when no cluster of that name or uuid is in the catalogue. */
export class UnknownClusterError extends ApplicationFailure {
  constructor(
    readonly cluster: string,
    known: string[],
  ) {
    super(
      `unknown cluster "${cluster}"; the catalogue has: ${known.join(', ') || '(none)'}`,
      Failure.UnknownCluster,
      true,
      [{ cluster, known }],
    );
  }
}

/** Thrown when no cluster template of that name or uuid is in the catalogue. */
export class UnknownTemplateError extends ApplicationFailure {
  constructor(
    readonly template: string,
    known: string[],
  ) {
    super(
      `unknown cluster template "${template}"; the catalogue has: ${known.join(', ') || '(none)'}`,
      Failure.UnknownTemplate,
      true,
      [{ template, known }],
    );
  }
}

/** Thrown when a requested template move breaks one or more rules; lists every violation at once. */
export class InvalidUpgradeError extends ApplicationFailure {
  constructor(
    readonly cluster: string,
    readonly template: string,
    readonly violations: string[],
  ) {
    super(
      `cannot upgrade cluster ${cluster} to template ${template}: ${violations.length} problem(s):\n` +
        violations.map((v) => `  - ${v}`).join('\n'),
      Failure.InvalidUpgrade,
      true,
      [{ cluster, template, violations }],
    );
  }
}

/** Thrown when the cluster's API server cannot be reached (retried: it may come back). */
export class ClusterUnreachableError extends ApplicationFailure {
  constructor(
    readonly cluster: string,
    cause: string,
    nonRetryable = false,
  ) {
    super(`cannot reach the API server of cluster ${cluster}: ${cause}`, Failure.ClusterUnreachable, nonRetryable, [
      { cluster, cause },
    ]);
  }
}

/** Thrown when the API server refuses an action for lack of permission: the role must change. */
export class ForbiddenError extends ApplicationFailure {
  constructor(
    readonly verb: string,
    readonly resource: string,
    message: string,
  ) {
    super(`forbidden: cannot ${verb} ${resource}: ${message}`, Failure.Forbidden, true, [{ verb, resource }]);
  }
}
