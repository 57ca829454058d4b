/**
 * The worker's dependencies: the catalogue file is loaded at start (a broken one stops the worker
 * there) and again when it changes; the state directory given holds only this host's run files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
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

  it('keeps the last good catalogue when a change does not load', () => {
    const path = join(dir, 'edited.yaml');
    writeFileSync(path, fixture + extra);
    const catalogue = catalogueFile(path);
    writeFileSync(path, fixture + extra + '  - name: [half written\n');
    assert.equal(findCluster(catalogue(), 'added-later').name, 'added-later');
    writeFileSync(path, fixture);
    assert.throws(() => findCluster(catalogue(), 'added-later'), /added-later/, 'a good file loads again');
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

describe('kubeClients', () => {
  const kubeconfig = (server: string) =>
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '${server}'}}]\n` +
    `users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;

  it('keeps one client per cluster, new ones for a rewritten kubeconfig, and the last ones for a cluster that left', () => {
    const config = join(dir, 'kubeconfig');
    writeFileSync(config, kubeconfig('https://127.0.0.1:1'));
    const path = join(dir, 'clients.yaml');
    writeFileSync(path, fixture + extra.replace('/nonexistent', config));
    const deps = workerDeps({ catalogue: path, stateDir: join(dir, 'state2') });
    const first = deps.kube('added-later');
    assert.equal(deps.kube('added-later'), first);
    writeFileSync(config, kubeconfig('https://127.0.0.1:2'));
    utimesSync(config, new Date(), new Date(Date.now() + 5000));
    const second = deps.kube('added-later');
    assert.notEqual(second, first);
    assert.equal(second.config.getCurrentCluster()?.server, 'https://127.0.0.1:2');
    writeFileSync(path, fixture);
    assert.equal(deps.kube('added-later'), second, 'an upgrade under way keeps its clients');
    assert.throws(() => deps.kube('never-declared'), /unknown cluster "never-declared"/);
    deps.close();
  });
});

describe('workerDeps', () => {
  it('keeps only run files in the state directory given: no cluster record (those live in Temporal)', () => {
    const path = join(dir, 'with-extra.yaml');
    writeFileSync(path, fixture + extra);
    const stateDir = join(dir, 'state');
    const deps = workerDeps({ catalogue: path, stateDir });
    assert.equal(deps.stateDir, stateDir);
    assert.equal('records' in deps, false);
    assert.equal(existsSync(join(stateDir, 'clusters')), false);
    assert.throws(() => deps.kube('added-later'), /its kubeconfig \/nonexistent does not exist/);
    deps.close();
  });
});
