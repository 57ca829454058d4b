/**
 * One failure class per way an upgrade can be refused or fail. Each is an ApplicationFailure whose
 * `type` names it (the CLI and other callers match on the type) and whose details carry the facts.
 * Only `retryable` failures are retried by Temporal; the rest mean "an operator must change something".
 */
import { ApplicationFailure } from '@temporalio/common';

/** Thrown when the catalogue file cannot be read or is malformed. */
export class CatalogueError extends ApplicationFailure {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`catalogue ${path}: ${problem}`, 'CatalogueError', true, [{ path, problem }]);
  }
}

/** Thrown when no cluster of that name or uuid is in the catalogue. */
export class UnknownClusterError extends ApplicationFailure {
  constructor(
    readonly cluster: string,
    known: string[],
  ) {
    super(`unknown cluster "${cluster}"; the catalogue has: ${known.join(', ') || '(none)'}`, 'UnknownCluster', true, [
      { cluster, known },
    ]);
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
      'UnknownTemplate',
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
      'InvalidUpgrade',
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
    super(`cannot reach the API server of cluster ${cluster}: ${cause}`, 'ClusterUnreachable', nonRetryable, [
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
    super(`forbidden: cannot ${verb} ${resource}: ${message}`, 'Forbidden', true, [{ verb, resource }]);
  }
}
