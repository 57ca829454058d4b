import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, parseVersion, sameVersion } from '../../model/versions.js';

describe('versions', () => {
  const cases: [string, string, number][] = [
    ['v1.12.7', 'v1.11.9', 1],
    ['v1.11.9', 'v1.12.7', -1],
    ['v1.12.7', '1.12.7', 0],
    ['v1.12.10', 'v1.12.9', 1],
    ['v2.0.0', 'v1.99.99', 1],
    ['v1.12.7-rc.1', 'v1.12.7', -1],
    ['1.14.0-catalyst', '1.13.1-catalyst', 1],
    // pre-releases in SemVer's order, each before its release and after the patch before it
    ['v1.29.3-alpha.2', 'v1.29.3-beta.0', -1],
    ['v1.29.3-beta.0', 'v1.29.3-rc.1', -1],
    ['v1.29.3-rc.2', 'v1.29.3-rc.10', -1],
    ['v1.29.3-alpha.2', 'v1.29.2', 1],
    ['v1.29.3-rc.1', 'v1.29.3-rc.1', 0],
    // a vendor's build is its release: equal to it, to other builds of it, after its pre-releases
    ['v1.29.3-eks-4a1b2c', 'v1.29.3', 0],
    ['v1.29.3-eks-4a1b2c', 'v1.29.3-eks-9f8e7d', 0],
    ['v1.29.3-gke.100', 'v1.29.3', 0],
    ['v1.29.3-gke.100', 'v1.29.3-gke.200', 0],
    ['v1.27.100-akslts', 'v1.27.100', 0],
    ['v1.29.3+k3s1', 'v1.29.3', 0],
    ['v1.29.3+rke2r1', 'v1.29.3+k3s1', 0],
    ['1.14.0-catalyst', '1.14.0', 0],
    ['v1.29.3-eks-4a1b2c', 'v1.29.3-rc.1', 1],
    ['v1.29.3-gke.100', 'v1.29.2', 1],
    ['v1.29.3-eks-4a1b2c', 'v1.29.4', -1],
    ['v1.29.3-gke.100', 'v1.30.0-gke.50', -1],
  ];
  for (const [a, b, sign] of cases) {
    it(`${a} vs ${b} is ${sign}`, () => {
      const pa = parseVersion(a);
      const pb = parseVersion(b);
      assert.ok(pa && pb);
      assert.equal(Math.sign(compareVersions(pa, pb)), sign);
      assert.equal(Math.sign(compareVersions(pb, pa)), sign === 0 ? 0 : -sign, 'the other way round');
    });
  }
  it('rejects what is not a version', () => {
    for (const text of ['stein-dev', 'latest', 'v1.12', '', 'v1.12.7.1', 'v1.29.3-', 'v1.29.3-rc..1', 'v1.29.3-rc.01'])
      assert.equal(parseVersion(text), undefined, text);
  });
  it('tells a vendor build from a pre-release', () => {
    assert.deepEqual(
      [
        'v1.29.3-eks-4a1b2c',
        'v1.29.3-gke.100',
        'v1.27.100-akslts',
        '1.14.0-catalyst',
        'v1.29.3-rc.1',
        'v1.29.3+k3s1',
      ].map((t) => {
        const v = parseVersion(t);
        return [v?.prerelease, v?.vendorBuild];
      }),
      [
        ['', 'eks-4a1b2c'],
        ['', 'gke.100'],
        ['', 'akslts'],
        ['', 'catalyst'],
        ['rc.1', ''],
        ['', ''],
      ],
    );
  });
  it('matches a kubelet version with the target whatever the v prefix', () => {
    assert.ok(sameVersion('v1.12.7', '1.12.7'));
    assert.ok(!sameVersion('v1.12.7', 'v1.12.8'));
    assert.ok(!sameVersion('garbage', 'v1.12.7'));
  });
  it("counts a vendor's build of the target as the target", () => {
    for (const reported of ['v1.29.3-eks-4a1b2c', 'v1.29.3-gke.100', 'v1.29.3', 'v1.29.3+k3s1', 'v1.29.3+rke2r1'])
      assert.ok(sameVersion(reported, 'v1.29.3'), reported);
    assert.ok(sameVersion('v1.27.100-akslts', '1.27.100'));
    assert.ok(sameVersion('v1.29.3', 'v1.29.3-eks-4a1b2c'), 'a target named by its vendor build');
  });
  it('never counts a pre-release, another patch or an unknown suffix as the release', () => {
    assert.ok(!sameVersion('v1.29.3-rc.1', 'v1.29.3'));
    assert.ok(!sameVersion('v1.29.3-alpha.2', 'v1.29.3'));
    assert.ok(!sameVersion('v1.29.3', 'v1.29.3-rc.1'));
    assert.ok(!sameVersion('v1.29.3-rc.1', 'v1.29.3-rc.2'));
    assert.ok(!sameVersion('v1.29.3-eks-4a1b2c', 'v1.29.4'));
    assert.ok(!sameVersion('v1.29.2-gke.100', 'v1.29.3'));
    assert.ok(!sameVersion('v1.29.3-someclouds-build', 'v1.29.3'), 'unknown: a pre-release, fail closed');
  });
});
