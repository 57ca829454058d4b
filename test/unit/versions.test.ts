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
  ];
  for (const [a, b, sign] of cases) {
    it(`${a} vs ${b} is ${sign}`, () => {
      const pa = parseVersion(a);
      const pb = parseVersion(b);
      assert.ok(pa && pb);
      assert.equal(Math.sign(compareVersions(pa, pb)), sign);
    });
  }
  it('rejects what is not a version', () => {
    for (const text of ['stein-dev', 'latest', 'v1.12', '', 'v1.12.7.1'])
      assert.equal(parseVersion(text), undefined, text);
  });
  it('matches a kubelet version with the target whatever the v prefix', () => {
    assert.ok(sameVersion('v1.12.7', '1.12.7'));
    assert.ok(!sameVersion('v1.12.7', 'v1.12.8'));
    assert.ok(!sameVersion('garbage', 'v1.12.7'));
  });
});
