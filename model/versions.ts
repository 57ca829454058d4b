/**
 * Kubernetes version tags (`v1.12.7`, `1.14.0-catalyst`): parsing and ordering.
 * Pure code: used by activities, the CLI and (deterministically) by workflows.
 */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** what follows `-` (pre-release or vendor suffix), '' when none */
  suffix: string;
  text: string;
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a version tag; undefined when the text is not one (`stein-dev`, `latest`). */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), suffix: m[4] ?? '', text };
}

/** Negative when a < b, 0 when equal, positive when a > b (a suffix sorts before the plain release). */
export function compareVersions(a: Version, b: Version): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.suffix === b.suffix) return 0;
  if (a.suffix === '') return 1;
  if (b.suffix === '') return -1;
  return a.suffix < b.suffix ? -1 : 1;
}

/** True when a kubelet reporting `reported` runs `target` (the `v` prefix and build metadata ignored). */
export function sameVersion(reported: string, target: string): boolean {
  const a = parseVersion(reported);
  const b = parseVersion(target);
  return a !== undefined && b !== undefined && compareVersions(a, b) === 0;
}
