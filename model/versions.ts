/**
 * Kubernetes version tags: parsing and ordering on major.minor.patch.
 * Pure code: used by activities, the CLI and (deterministically) by workflows.
 *
 * A tag is `[v]MAJOR.MINOR.PATCH[-SUFFIX][+BUILD]`:
 * - `+BUILD` is build metadata and ignored: k3s `v1.29.3+k3s1`, RKE2 `v1.29.3+rke2r1`, OpenShift
 *   `v1.29.3+a1b2c3d`.
 * - A `-SUFFIX` in VENDOR_BUILDS is a vendor's build of the release and counts as the release itself:
 *   EKS `v1.29.3-eks-4a1b2c`, GKE `v1.29.3-gke.100`, AKS `-aks…` (AKS nodes report a plain `v1.29.3`;
 *   long-term-support patches read `v1.27.100-akslts`), and the catalogue's own `1.14.0-catalyst`.
 *   Two builds of one release compare equal (`v1.29.3-gke.100` = `v1.29.3-gke.200` = `v1.29.3`): an
 *   upgrade moves between Kubernetes releases, not between a vendor's builds of one.
 * - Any other `-SUFFIX` is a pre-release (`-rc.1`, `-alpha.2`, `-beta.0`): it comes before its release
 *   in SemVer's order (`-alpha.2` < `-beta.0` < `-rc.1` < `-rc.10` < the release) and never counts as
 *   the release, so a node running `v1.29.3-rc.1` is not at `v1.29.3`. A vendor's suffix missing from
 *   VENDOR_BUILDS therefore fails closed: such a node never counts as upgraded (the wait for it to be
 *   Ready at the target version times out naming both versions) until its pattern is added here.
 */
import { SemVer } from 'semver';

/** Suffixes (after `-`) that name a vendor's build of the release, not a pre-release. */
export const VENDOR_BUILDS: readonly { vendor: string; pattern: RegExp }[] = [
  { vendor: 'EKS', pattern: /^eks-[0-9a-z]+$/ },
  { vendor: 'GKE', pattern: /^gke\.\d+$/ },
  { vendor: 'AKS', pattern: /^aks[0-9a-z.-]*$/ },
  { vendor: 'Catalyst Cloud', pattern: /^catalyst$/ },
];

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** the pre-release after `-` (`rc.1`), '' for a release or a vendor's build of one */
  prerelease: string;
  /** the vendor build suffix after `-` (`eks-4a1b2c`), '' when none */
  vendorBuild: string;
  text: string;
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a version tag; undefined when the text is not one (`stein-dev`, `latest`, `v1.12`). */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const suffix = m[4] ?? '';
  const vendor = suffix !== '' && VENDOR_BUILDS.some((b) => b.pattern.test(suffix));
  const version = {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: vendor ? '' : suffix,
    vendorBuild: vendor ? suffix : '',
    text,
  };
  // SemVer's own rules for what the regex lets through (no leading zeros in numbers, no empty
  // identifiers in a pre-release such as `rc..1`).
  try {
    new SemVer(semverText(version));
  } catch {
    return undefined;
  }
  return version;
}

const semverText = (v: Version) => `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`;

/**
 * Negative when a < b, 0 when equal, positive when a > b: major, minor, patch, then a pre-release
 * before its release (SemVer precedence); vendor builds and build metadata do not count.
 */
export function compareVersions(a: Version, b: Version): number {
  return new SemVer(semverText(a)).compare(semverText(b));
}

/**
 * True when a kubelet reporting `reported` runs `target`: the same major.minor.patch and pre-release
 * (the `v` prefix, a known vendor's build suffix and build metadata ignored).
 */
export function sameVersion(reported: string, target: string): boolean {
  const a = parseVersion(reported);
  const b = parseVersion(target);
  return a !== undefined && b !== undefined && compareVersions(a, b) === 0;
}
