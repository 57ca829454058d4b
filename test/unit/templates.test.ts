import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findTemplate, loadCatalogue, parseCatalogue } from '../../activities/catalogue/load.js';
import { upgradeViolations } from '../../activities/templates.js';
import { Failure } from '../../model/errors.js';
import type { ClusterRecord } from '../../model/record.js';

const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
const catalogue = parseCatalogue(readFileSync(fixture, 'utf8'), '/tmp', {}); // no environment: defaults apply
const current = findTemplate(catalogue, 'kubernetes-v1.11.9-prod-20190402');
const record: ClusterRecord = {
  cluster: 'k8s-upgrade-test',
  status: 'CREATE_COMPLETE',
  status_reason: '',
  template: current.name,
  coe_version: 'v1.11.9',
  updated_at: '',
};

describe('upgradeViolations', () => {
  const cases: { target: string; status?: ClusterRecord['status']; allowSkew?: boolean; expect: RegExp[] }[] = [
    { target: 'kubernetes-v1.12.7-prod-20190403', expect: [] },
    { target: 'with-extra-label', expect: [/with-extra-label adds calico_tag/] },
    { target: 'with-missing-label', expect: [/with-missing-label lacks etcd_volume_size/] },
    { target: 'downgrade', expect: [/v1.10.13 is older than the current v1.11.9: downgrades are not supported/] },
    { target: 'two-minor-jump', expect: [/v1.11.9 → v1.13.5 skips 1 minor version\(s\).*v1.12.x first/] },
    { target: 'two-minor-jump', allowSkew: true, expect: [] },
    { target: 'tag-backwards', expect: [/cloud_provider_tag moves backwards: 1.14.0-catalyst → 1.13.1-catalyst/] },
    { target: 'not-a-version', expect: [/kube_tag "latest" of not-a-version is not a version/] },
    { target: 'kubernetes-v1.11.9-prod-20190402', expect: [/already runs/] },
    {
      target: 'kubernetes-v1.12.7-prod-20190403',
      status: 'UPDATE_IN_PROGRESS',
      expect: [/is UPDATE_IN_PROGRESS.*; if that upgrade no longer runs .*`recover` the cluster first$/],
    },
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_PAUSED', expect: [/is UPDATE_PAUSED/] },
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_FAILED', expect: [] },
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_COMPLETE', expect: [] },
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_ABORTED', expect: [] },
  ];
  for (const c of cases) {
    it(`${c.target} from ${c.status ?? 'CREATE_COMPLETE'}${c.allowSkew ? ' with allowSkew' : ''}`, () => {
      const target = findTemplate(catalogue, c.target);
      const got = upgradeViolations({ ...record, status: c.status ?? 'CREATE_COMPLETE' }, current, target, c.allowSkew);
      assert.equal(got.length, c.expect.length, got.join('\n'));
      c.expect.forEach((re, i) => assert.match(got[i] ?? '', re));
    });
  }

  it('reports every violation at once', () => {
    const target = { name: 'bad', uuid: 'x', labels: { ...current.labels, kube_tag: 'v1.9.0', extra_tag: '1' } };
    delete (target.labels as Record<string, string>).etcd_volume_size;
    const got = upgradeViolations({ ...record, status: 'UPDATE_IN_PROGRESS' }, current, target);
    assert.equal(got.length, 4, got.join('\n'));
  });
});

describe('parseCatalogue', () => {
  it('reads the seed templates with merged labels and expands paths', () => {
    const t = findTemplate(catalogue, '7f01d58a-ba9b-41a4-b53a-b5064c235852');
    assert.equal(t.labels.kube_tag, 'v1.12.7');
    assert.equal(Object.keys(t.labels).length, 9);
    assert.equal(catalogue.clusters[0]?.kubeconfig, '/nonexistent/kubeconfig');
  });
  const bad: [string, RegExp][] = [
    ['templates: [{name: a, uuid: u, labels: {x: "1"}}]', /no "kube_tag"/],
    ['templates: [{name: a, labels: {kube_tag: v1.1.1}}]', /"uuid" must be a non-empty string/],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: b, kubeconfig: k, replace: {provider: kwok}}]',
      /template b is not in the catalogue/,
    ],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: k, replace: {provider: ssh}}]',
      /replace.provider must be one of kwok, command \(got ssh\)/,
    ],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}, {name: a, uuid: v, labels: {kube_tag: v1.1.1}}]',
      /template a is declared twice/,
    ],
    ['- just a list', /must be a map/],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1, x: {y: 1}}}]',
      /template a: label "x" must be a scalar/,
    ],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: k, status: DONE, replace: {provider: kwok}}]',
      /cluster c: status must be one of CREATE_COMPLETE, .* \(got DONE\)/,
    ],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: k, replace: {provider: command}}]',
      /cluster c: "command" must be a non-empty string/,
    ],
    [
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: "${NO_SUCH_VARIABLE}", replace: {provider: kwok}}]',
      /cluster c: environment variable NO_SUCH_VARIABLE is not set/,
    ],
    ['templates: [3]', /templates\[0\] must be a map with "name", "uuid" and "labels"/],
  ];
  for (const [source, re] of bad) {
    it(`refuses ${re.source}`, () => assert.throws(() => parseCatalogue(source, '/tmp'), re));
  }

  it('names every problem at once, each with its entry', () => {
    const source = [
      'templates: [{name: a, labels: {x: "1"}}]',
      'clusters: [{uuid: u, template: a, kubeconfig: k, replace: {provider: kwok, delaySeconds: -1}}]',
    ].join('\n');
    assert.throws(
      () => parseCatalogue(source, '/tmp'),
      (err: Error) => {
        assert.deepEqual(err.message.split('; '), [
          'template a: "uuid" must be a non-empty string',
          'template a: labels have no "kube_tag" (the Kubernetes version)',
          'cluster #0: "name" must be a non-empty string',
          'cluster #0: "delaySeconds" must be a number >= 0',
        ]);
        return true;
      },
    );
  });

  it('names the file and the bad field when loading', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'k8s-ru-catalogue-')), 'catalogue.yaml');
    writeFileSync(path, 'templates: [{name: a, uuid: "", labels: {kube_tag: v1.1.1}}]\n');
    assert.throws(() => loadCatalogue(path), {
      type: Failure.CatalogueError,
      message: `catalogue ${path}: template a: "uuid" must be a non-empty string`,
    });
  });

  it('fills in the defaults and resolves the kubeconfig against the file', () => {
    const { clusters } = parseCatalogue(
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: "${DIR:-conf}/k", replace: {provider: command, command: ./replace.sh}}]',
      '/srv/catalogue',
      {},
    );
    assert.deepEqual(clusters[0], {
      name: 'c',
      uuid: 'u',
      template: 'a',
      status: 'CREATE_COMPLETE',
      kubeconfig: '/srv/catalogue/conf/k',
      replace: {
        provider: 'command',
        command: './replace.sh',
        timeoutSeconds: 1800,
        env: {},
        passEnv: ['PATH', 'HOME', 'SSH_AUTH_SOCK'],
      },
      notify: [],
      smoke: {
        enabled: true,
        image: 'registry.k8s.io/pause:3.10',
        timeoutSeconds: 60,
        namespace: 'k8s-rolling-upgrade',
      },
    });
  });

  it('takes an empty optional field (YAML null) as absent', () => {
    const { clusters } = parseCatalogue(
      'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\nclusters: [{name: c, uuid: u, template: a, kubeconfig: /k, context:, status:, keypair:, replace: {provider: kwok}}]',
      '/srv',
      {},
    );
    assert.equal(clusters[0]?.status, 'CREATE_COMPLETE');
    assert.equal(clusters[0]?.context, undefined);
    assert.equal(clusters[0]?.keypair, undefined);
  });
});
