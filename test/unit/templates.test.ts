import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findTemplate, parseCatalogue } from '../../activities/catalogue/load.js';
import { upgradeViolations } from '../../activities/templates.js';
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
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_IN_PROGRESS', expect: [/is UPDATE_IN_PROGRESS/] },
    { target: 'kubernetes-v1.12.7-prod-20190403', status: 'UPDATE_FAILED', expect: [/is UPDATE_FAILED/] },
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
    const got = upgradeViolations({ ...record, status: 'UPDATE_FAILED' }, current, target);
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
  ];
  for (const [source, re] of bad) {
    it(`refuses ${re.source}`, () => assert.throws(() => parseCatalogue(source, '/tmp'), re));
  }
});
