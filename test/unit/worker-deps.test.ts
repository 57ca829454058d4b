/**
 * The worker's dependencies: the catalogue file is loaded at start (a broken one stops the worker
 * there) and again when it changes; records live in the state directory given.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findCluster } from '../../activities/catalogue/load.js';
import { catalogueFile, workerDeps } from '../../activities/deps.js';

const fixture = readFileSync(fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url)), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-deps-'));
const extra =
  '\n  - name: added-later\n    uuid: 00000000-0000-0000-0000-0000000000d1\n' +
  '    template: kubernetes-v1.11.9-prod-20190402\n    kubeconfig: /nonexistent\n    replace: { provider: kwok }\n';

describe('catalogueFile', () => {
  it('reloads the file when it changes', () => {
    const path = join(dir, 'catalogue.yaml');
    writeFileSync(path, fixture);
    const catalogue = catalogueFile(path);
    assert.throws(() => findCluster(catalogue(), 'added-later'), /added-later/);
    writeFileSync(path, fixture + extra);
    assert.equal(findCluster(catalogue(), 'added-later').uuid, '00000000-0000-0000-0000-0000000000d1');
  });

  it('refuses a broken file at once, naming it', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'templates: 3\nclusters: [1]\n');
    assert.throws(
      () => catalogueFile(path),
      (err: Error) => err.message.includes(path),
    );
  });
});

describe('workerDeps', () => {
  it('keeps records in the state directory given', () => {
    const path = join(dir, 'with-extra.yaml');
    writeFileSync(path, fixture + extra);
    const stateDir = join(dir, 'state');
    const deps = workerDeps({ catalogue: path, stateDir });
    const cat = deps.catalogue();
    const cluster = findCluster(cat, 'k8s-upgrade-test');
    assert.equal(deps.records.read(cat, cluster).status_reason, 'declared in the catalogue');
    deps.records.write({ ...deps.records.read(cat, cluster), status: 'UPDATE_COMPLETE', status_reason: 'test' });
    const file = JSON.parse(readFileSync(join(stateDir, 'clusters', 'k8s-upgrade-test.json'), 'utf8')) as {
      status: string;
    };
    assert.equal(file.status, 'UPDATE_COMPLETE');
    assert.throws(() => deps.kube('added-later'), /its kubeconfig \/nonexistent does not exist/);
    deps.close();
  });
});
