/** Raised inside a workflow when an abort reaches a safe point; caught there, it never escapes it. */
export class Aborted extends Error {}
