/**
 * The worker's versioning settings: the build id derived from the workflow code, the checks of a
 * deployment name and a build id, K8S_RU_VERSIONING, and the worker process refusing a bad setting
 * before it connects anywhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  bundleBuildId,
  checkVersionFlags,
  routingText,
  setCurrentCommand,
  versioningVariable,
} from '../../worker/deployment.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };

describe('worker versioning settings', () => {
  it('derives the build id from the package version and the workflow code', () => {
    const id = bundleBuildId('code one');
    assert.match(id, new RegExp(`^${pkg.version.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    assert.equal(bundleBuildId('code one'), id, 'the same code, the same id');
    assert.notEqual(bundleBuildId('code two'), id, 'other code, another id');
    assert.equal(bundleBuildId(Buffer.from('code one')), id);
    assert.notEqual(bundleBuildId('code one', '9.9.9'), id);
  });

  it('refuses deployment names and build ids the server would not take, naming the problem', () => {
    const ok = { versioning: true, deploymentName: 'k8s-rolling-upgrade' };
    assert.doesNotThrow(() => checkVersionFlags(ok));
    assert.doesNotThrow(() => checkVersionFlags({ ...ok, buildId: '1.2.3-abc' }));
    assert.throws(
      () => checkVersionFlags({ ...ok, deploymentName: 'a.b' }),
      /deployment name must not contain '\.' or ':' \(got "a\.b"\)/,
    );
    assert.throws(() => checkVersionFlags({ ...ok, deploymentName: 'a:b' }), /must not contain '\.' or ':'/);
    assert.throws(() => checkVersionFlags({ ...ok, deploymentName: ' ' }), /the deployment name must not be empty/);
    assert.throws(() => checkVersionFlags({ ...ok, buildId: '' }), /the build id must not be empty/);
    assert.throws(
      () => checkVersionFlags({ ...ok, buildId: 'a b' }),
      /the build id must not contain white space \(got "a b"\)/,
    );
    assert.throws(
      () => checkVersionFlags({ ...ok, buildId: 'x'.repeat(256) }),
      /the build id is at most 255 characters \(got 256\)/,
    );
    assert.throws(
      () => checkVersionFlags({ versioning: false, deploymentName: 'k8s-rolling-upgrade', buildId: 'b1' }),
      /--build-id \(K8S_RU_BUILD_ID\) names a version .* but versioning is off/,
    );
    // unversioned, the deployment name does not matter
    assert.doesNotThrow(() => checkVersionFlags({ versioning: false, deploymentName: 'a.b' }));
  });

  it('reads K8S_RU_VERSIONING as on unless it says off', () => {
    for (const on of [undefined, '', 'on', 'TRUE', 'yes', '1']) assert.equal(versioningVariable(on), true, String(on));
    for (const off of ['off', 'False', 'no', '0', ' off ']) assert.equal(versioningVariable(off), false, off);
    assert.throws(() => versioningVariable('maybe'), /K8S_RU_VERSIONING is on or off .* not "maybe"/);
  });

  it('tells an operator how to make a build that is not current current', () => {
    const v = { deploymentName: 'd', buildId: 'b2' };
    assert.equal(routingText(v, { state: 'current' }), 'build b2 of worker deployment d is current');
    assert.equal(
      routingText(v, { state: 'made-current' }),
      "build b2 of worker deployment d is current (the deployment's first)",
    );
    assert.equal(
      routingText(v, { state: 'not-current', current: 'b1' }),
      'build b2 of worker deployment d is not current (new upgrades go to build b1); it runs only what is pinned ' +
        `to it until made current: ${setCurrentCommand(v)}`,
    );
    assert.match(routingText(v, { state: 'not-current' }), /new upgrades go to unversioned workers/);
    assert.equal(
      setCurrentCommand(v),
      'temporal worker deployment set-current-version --deployment-name d --build-id b2',
    );
  });

  it('the worker process refuses a bad setting before it connects', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
        // an address nothing answers on: the checks must come first
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
        timeout: 60_000,
      });
    const dotted = run(['--deployment-name', 'my.workers']);
    assert.equal(dotted.status, 1, dotted.stderr);
    assert.match(dotted.stderr, /worker: the deployment name must not contain '\.' or ':' \(got "my\.workers"\)/);
    const both = run(['--no-versioning'], { K8S_RU_BUILD_ID: 'b1' });
    assert.equal(both.status, 1, both.stderr);
    assert.match(both.stderr, /worker: --build-id \(K8S_RU_BUILD_ID\) names a version/);
    const bad = run([], { K8S_RU_VERSIONING: 'perhaps' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /worker: K8S_RU_VERSIONING is on or off/);
  });
});
