/**
 * `kru status` says who holds the cluster's upgrade lock (the entity's holder: the workflow a new start
 * is refused for, since when, to which template), and `free` when none does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterShow } from '../../client/render.js';
import type { Cluster, ClusterTemplate } from '../../model/catalogue.js';
import type { Holder } from '../../model/lock.js';
import type { ClusterRecord } from '../../model/record.js';

const cluster = { name: 'prod-1', uuid: 'b43ffae2-2d35-4951-b3f1-17a7acec3ade' } as Cluster;
const template = { name: 'k8s-1-12', uuid: '7f01d58a-ba9b-41a4-b53a-b5064c235852', labels: {} } as ClusterTemplate;
const record: ClusterRecord = {
  cluster: 'prod-1',
  status: 'UPDATE_IN_PROGRESS',
  status_reason: 'upgrading',
  template: 'k8s-1-11',
  coe_version: 'v1.11.9',
  workflow_id: 'upgrade-prod-1-2026-11-30T03:00:00Z',
  updated_at: '2026-11-30T03:00:05Z',
};
/** The value of one field of the `Field | Value` table. */
function field(shown: string, name: string): string {
  const row = shown.split('\n').find((l) => new RegExp(`^\\W*${name}\\s*\\W`).test(l));
  assert.ok(row, `no ${name} field in:\n${shown}`);
  return row
    .split(/[│|]/)
    .map((c) => c.trim())
    .filter(Boolean)
    .slice(1)
    .join(' ');
}

describe('kru status: the upgrade lock', () => {
  it('names the workflow that holds it, since when and to which template', () => {
    const holder: Holder = {
      workflowId: 'upgrade-prod-1-2026-11-30T03:00:00Z',
      runChain: 'r-1',
      purpose: 'upgrade',
      target: 'k8s-1-12',
      since: '2026-11-30T03:00:01Z',
    };
    const lock = field(clusterShow(cluster, template, record, undefined, { holder }), 'lock');
    assert.match(lock, /held by upgrade upgrade-prod-1-2026-11-30T03:00:00Z/);
    assert.match(lock, /since 2026-11-30T03:00:01Z/);
    assert.match(lock, /to k8s-1-12/);
  });

  it('says free when nobody holds it', () => {
    const free = { ...record, status: 'UPDATE_COMPLETE' as const };
    assert.equal(field(clusterShow(cluster, template, free, undefined, {}), 'lock'), 'free');
  });
});
