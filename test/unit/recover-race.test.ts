/**
 * `recover` against an upgrade that starts while it runs (no cluster: a fake API server and record
 * store). Every upgrade the CLI starts has the id `upgrade-<cluster>`, so the record's id says nothing:
 * recover works from the record as the CLI read it (status, updated_at, upgrade) and stops, touching
 * no more nodes and writing no record, as soon as the record says otherwise, checked again in the
 * step that writes each node (a node changed after that check refuses the write: 409). A node cordoned
 * by another upgrade than the one the record names is left to it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiException, type V1Node } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import type { Kube } from '../../activities/kube/client.js';
import { REPLACEMENT } from '../../activities/kube/nodes.js';
import { recoverNodes } from '../../activities/recover.js';
import type { ClusterRecord } from '../../model/record.js';
import type { RecoverRequest } from '../../model/recovery.js';
import { node, ours } from '../support/node-fixture.js';

const CLUSTER = 'k8s-upgrade-test';
const ID = `upgrade-${CLUSTER}`;
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
const catalogue = parseCatalogue(readFileSync(fixture, 'utf8'), '/tmp', {});

const failed: ClusterRecord = {
  cluster: CLUSTER,
  status: 'UPDATE_FAILED',
  status_reason: 'node w1: replacement failed',
  template: 'kubernetes-v1.11.9-prod-20190402',
  coe_version: 'v1.11.9',
  workflow_id: ID,
  target_template: 'kubernetes-v1.12.7-prod-20190403',
  updated_at: '2026-11-30T05:00:00.000Z',
};
const seen: RecoverRequest = { cluster: CLUSTER, upgradeId: ID, status: failed.status, updatedAt: failed.updated_at };
/** The next `kru start`: the same id, the record written before it cordons anything. */
const started: ClusterRecord = { ...failed, status: 'UPDATE_IN_PROGRESS', updated_at: '2026-11-30T05:00:07.000Z' };

const named = (name: string, n: V1Node): V1Node => ({ ...n, metadata: { ...n.metadata, name } });

interface Hooks {
  /** before each read of one node */
  onRead?: (name: string, w: World) => void;
  /** before each write of one node: someone else's write landing between recover's read and its own */
  onPatch?: (name: string, w: World) => void;
}

/** An API server holding `nodes` (merge patches guarded by resourceVersion) and the record store. */
function fakeWorld(nodes: V1Node[], record: ClusterRecord, hooks: Hooks = {}) {
  const w = {
    nodes: new Map(nodes.map((n) => [n.metadata?.name ?? '', structuredClone(n)])),
    record,
    written: [] as ClusterRecord[],
    patched: [] as string[],
    conflicts: 0,
  };
  type Patch = { metadata: { resourceVersion?: string; annotations?: Record<string, null> }; spec?: object };
  const kube = {
    cluster: CLUSTER,
    core: {
      listNode: async () => ({ items: [...w.nodes.values()].map((n) => structuredClone(n)) }),
      readNode: async ({ name }: { name: string }) => {
        hooks.onRead?.(name, w);
        const n = w.nodes.get(name);
        if (!n) throw new ApiException(404, 'not found', '{}', {});
        return structuredClone(n);
      },
      patchNode: async ({ name, body }: { name: string; body: Patch }) => {
        hooks.onPatch?.(name, w);
        const n = w.nodes.get(name);
        if (!n) throw new ApiException(404, 'not found', '{}', {});
        if (body.metadata.resourceVersion !== n.metadata?.resourceVersion) {
          w.conflicts++;
          throw new ApiException(409, 'conflict', '{}', {});
        }
        w.patched.push(name);
        const removed = Object.keys(body.metadata.annotations ?? {});
        const kept = Object.entries(n.metadata?.annotations ?? {}).filter(([k]) => !removed.includes(k));
        n.metadata = { ...n.metadata, annotations: Object.fromEntries(kept) };
        if (body.spec && 'unschedulable' in body.spec) n.spec = { ...n.spec, unschedulable: undefined };
        return n;
      },
    },
  } as unknown as Kube;
  const deps = {
    catalogue: () => catalogue,
    kube: () => kube,
    record: {
      read: () => w.record,
      write: (r: ClusterRecord) => {
        w.written.push(r);
        w.record = r;
      },
    },
  };
  return { w, recover: (request: RecoverRequest = seen) => recoverNodes(deps, request, () => {}) };
}
type World = ReturnType<typeof fakeWorld>['w'];

/** The next upgrade starts: its record, then its cordon of `name` (a new resourceVersion). */
function upgradeStarts(w: World, name: string): void {
  w.record = started;
  const n = w.nodes.get(name);
  if (n) n.metadata = { ...n.metadata, resourceVersion: `${n.metadata?.resourceVersion}-cordoned` };
}

const refusal = (nodes: string) =>
  new RegExp(
    `^an upgrade of cluster ${CLUSTER} started meanwhile \\(workflow ${ID}, UPDATE_IN_PROGRESS since 2026-11-30T05:00:07.000Z; ` +
      `recover was asked for the record as UPDATE_FAILED at 2026-11-30T05:00:00.000Z, upgrade ${ID}\\): ` +
      `recover leaves its nodes alone; ${nodes}$`,
  );
const refused = (nodes: string) => (err: unknown) =>
  err instanceof ApplicationFailure && err.nonRetryable && refusal(nodes).test(err.message);

describe('recover while an upgrade with the same id starts', () => {
  const cordoned = (name: string) => named(name, node({ unschedulable: true, annotations: ours(ID) }));

  it('refuses before touching a node when the upgrade started after the CLI read the record', async () => {
    const { w, recover } = fakeWorld([cordoned('w1')], started);
    await assert.rejects(recover(), refused('no node was touched'));
    assert.deepEqual(w.patched, []);
    assert.deepEqual(w.written, []);
  });

  it('stops at the node it reads after the upgrade wrote its record: that node and the record are left to the upgrade', async () => {
    const { w, recover } = fakeWorld([cordoned('w1'), cordoned('w2')], failed, {
      onRead: (name, world) => {
        if (name === 'w2') world.record = started;
      },
    });
    await assert.rejects(recover(), refused('restored before it saw this: w1'));
    assert.deepEqual(w.patched, ['w1']);
    assert.equal(w.nodes.get('w2')?.spec?.unschedulable, true, 'w2 stays cordoned, mid-drain');
    assert.deepEqual(w.written, [], 'UPDATE_IN_PROGRESS is not overwritten');
    assert.equal(w.record, started);
  });

  it('does not write a node the upgrade cordoned after recover read it (409), and then sees the record', async () => {
    let writes = 0;
    const { w, recover } = fakeWorld([cordoned('w1')], failed, {
      onPatch: (name, world) => {
        if (++writes === 1) upgradeStarts(world, name);
      },
    });
    await assert.rejects(recover(), refused('no node was touched'));
    assert.equal(w.conflicts, 1);
    assert.deepEqual(w.patched, []);
    assert.deepEqual(w.written, []);
  });

  it('refuses a record changed otherwise (another recover), saying to run it again', async () => {
    const again = { ...failed, status_reason: 'recovered by the operator: …', updated_at: '2026-11-30T05:01:00.000Z' };
    const { w, recover } = fakeWorld([cordoned('w1')], again);
    await assert.rejects(
      recover(),
      new RegExp(
        `^ApplicationFailure: cluster ${CLUSTER}'s record changed meanwhile \\(UPDATE_FAILED at 2026-11-30T05:00:00.000Z, ` +
          `upgrade ${ID} → UPDATE_FAILED at 2026-11-30T05:01:00.000Z, upgrade ${ID}\\): recover leaves the nodes alone; ` +
          'no node was touched; run recover again to recover from the record as it is now$',
      ),
    );
    assert.deepEqual(w.patched, []);
  });

  it("restores the ended upgrade's nodes, leaves another upgrade's cordon and an unknown node cordoned, and records them", async () => {
    const others = named('w2', node({ unschedulable: true, annotations: ours('nightly-7') }));
    const unknown = named(
      'w3',
      node({ unschedulable: true, annotations: { ...ours(ID), [REPLACEMENT]: `${ID}/w3/v1.12.7` } }),
    );
    const { w, recover } = fakeWorld([cordoned('w1'), others, unknown], failed);
    const r = await recover();
    assert.deepEqual(w.patched, ['w1']);
    const action = (name: string) => r.nodes.find((n) => n.name === name);
    assert.equal(action('w1')?.action, 'restored');
    assert.deepEqual(
      [action('w2')?.action, action('w2')?.detail],
      ['kept', `cordoned by upgrade nightly-7, not by ${ID} (the one the record names): left to it`],
    );
    assert.deepEqual([action('w3')?.action, action('w3')?.unschedulable], ['kept', true]);
    assert.equal(w.written.length, 1);
    assert.equal(w.record.status, 'UPDATE_FAILED');
    assert.deepEqual(w.record.left_cordoned, ['w2', 'w3']);
    assert.notEqual(w.record.updated_at, failed.updated_at);
  });
});
