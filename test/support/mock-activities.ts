/**
 * A simulated world for workflow tests without a cluster: every activity the workflows call, mocked
 * over an in-memory list of nodes. Records the order and time of cordons.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activities } from '../../activities/index.js';
import type { NodeState } from '../../model/kube.js';

export function mockWorld(masters: string[], workers: string[], stepMs = 0) {
  const cordoned: { node: string; at: number }[] = [];
  const node = (name: string, role: NodeState['role']): NodeState => ({
    name,
    role,
    kubeletVersion: 'v1.11.9',
    ready: true,
    unschedulable: false,
  });
  const world: NodeState[] = [
    ...masters.map((n) => node(n, 'control-plane')),
    ...workers.map((n) => node(n, 'worker')),
  ];
  const activities: Partial<Activities> = {
    validateUpgrade: async (r) => ({
      cluster: r.cluster,
      clusterUuid: 'u',
      fromTemplate: 'old',
      toTemplate: r.template,
      toTemplateUuid: 't',
      fromVersion: 'v1.11.9',
      toVersion: 'v1.12.7',
      previousStatus: 'CREATE_COMPLETE',
    }),
    planUpgrade: async (i) => ({
      cluster: i.cluster,
      fromVersion: i.fromVersion,
      toVersion: i.toVersion,
      nodes: world.map((n) => ({ ...n, action: 'upgrade' as const })),
      budgets: [],
      warnings: [],
      estimateSeconds: 2,
    }),
    healthGate: async () => ({ healthy: true, checks: [], at: new Date().toISOString() }),
    nodeStates: async () => world,
    snapshotNode: async ({ node: name }) => {
      const state = world.find((n) => n.name === name) as NodeState;
      return { state, snapshot: { name, unschedulable: false, taints: [], labels: {}, addresses: [], capacity: {} } };
    },
    cordonNode: async ({ node: name }) => {
      cordoned.push({ node: name, at: Date.now() });
    },
    restoreNode: async () => undefined,
    drainNode: async ({ node: name }) => {
      await sleep(stepMs);
      return { node: name, drained: true, evicted: 0, skipped: [], podsLeft: 0, blocked: [], timedOut: false };
    },
    replaceNode: async ({ snapshot, targetVersion }) => {
      const n = world.find((x) => x.name === snapshot.name) as NodeState;
      n.kubeletVersion = targetVersion;
      return { node: n.name, replaced: true, detail: '' };
    },
    waitNodeReady: async ({ targetVersion }) => ({ version: targetVersion }),
    recordStatus: async ({ cluster, patch }) => ({
      cluster,
      status: 'UPDATE_IN_PROGRESS',
      status_reason: '',
      template: '',
      coe_version: '',
      updated_at: '',
      ...patch,
    }),
  };
  const reset = () => {
    cordoned.length = 0;
    for (const n of world) n.kubeletVersion = 'v1.11.9';
  };
  return { cordoned, world, activities, reset };
}
