/**
 * A simulated world for workflow tests and the replay-fixture recorder, without a cluster: every
 * activity the workflows call, mocked over an in-memory list of nodes. Records the order and time of
 * cordons and a line per activity that changes a node. `Faults` make the world misbehave in the ways an
 * upgrade must survive: a drain held until released (to act mid-drain), evictions refused by a budget,
 * a failing replacement, an unhealthy gate.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import { Failure } from '../../model/errors.js';
import type { BlockedPod, DrainResult, NodeState } from '../../model/kube.js';
import { surgeName } from '../../model/surge.js';

export interface Faults {
  /** nodes whose drain runs (heartbeating, so it can be cancelled) until `release(node)` */
  holdDrain?: string[];
  /** nodes whose evictions a budget refuses, so their drain times out, until `unblock(node)` or a forced drain */
  budgetBlocks?: string[];
  /** nodes whose replacement fails (not retryable) until `repair(node)` */
  replaceFails?: string[];
  /** the health gate is unhealthy from its nth call on (1 = the pre-flight gate) until `heal()` */
  gateFailsFrom?: number;
  /** nodes whose smoke pod never becomes Ready until `smokeReady(node)` */
  smokeFails?: string[];
}

export const OLD_VERSION = 'v1.11.9';

export function mockWorld(masters: string[], workers: string[], stepMs = 0, faults: Faults = {}) {
  const cordoned: { node: string; at: number }[] = [];
  /** what changed which node, in order: "cordonNode w-0", "drainNode w-0 (delete)", "restoreNode w-0"… */
  const calls: string[] = [];
  const released = new Set<string>();
  const unblocked = new Set<string>();
  const repaired = new Set<string>();
  const smokeFixed = new Set<string>();
  let healed = false;
  let gateCalls = 0;
  const node = (name: string, role: NodeState['role']): NodeState => ({
    name,
    role,
    kubeletVersion: OLD_VERSION,
    ready: true,
    unschedulable: false,
  });
  const initial = () => [...masters.map((n) => node(n, 'control-plane')), ...workers.map((n) => node(n, 'worker'))];
  const world: NodeState[] = initial();
  const find = (name: string) => {
    const n = world.find((x) => x.name === name);
    if (!n) throw ApplicationFailure.nonRetryable(`node ${name} does not exist`, Failure.NodeNotFound);
    return n;
  };
  const budgetRefuses = (name: string): BlockedPod[] =>
    faults.budgetBlocks?.includes(name) && !unblocked.has(name)
      ? [
          {
            pod: `default/web-${name}`,
            reason: 'budget',
            budget: 'default/web',
            message: "Cannot evict pod as it would violate the pod's disruption budget.",
          },
        ]
      : [];

  const activities: Partial<Activities> = {
    webhooks: async () => [], // no notifications, no Node Events in a world without a cluster
    nodeEvent: async ({ node }) => ({ event: node, count: 1 }),
    validateUpgrade: async (r) => ({
      cluster: r.cluster,
      clusterUuid: 'u',
      fromTemplate: 'old',
      toTemplate: r.template,
      toTemplateUuid: 't',
      fromVersion: OLD_VERSION,
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
    healthGate: async () => {
      gateCalls++;
      const failing = faults.gateFailsFrom !== undefined && gateCalls >= faults.gateFailsFrom && !healed;
      const checks = [{ name: 'nodes-ready', ok: !failing, detail: failing ? 'w-0 is NotReady' : 'all Ready' }];
      return { healthy: !failing, checks, at: new Date().toISOString() };
    },
    nodeStates: async () => world,
    snapshotNode: async ({ node: name }) => {
      const state = find(name);
      return {
        state,
        snapshot: { name, unschedulable: state.unschedulable, taints: [], labels: {}, addresses: [], capacity: {} },
      };
    },
    cordonNode: async ({ node: name }) => {
      cordoned.push({ node: name, at: Date.now() });
      calls.push(`cordonNode ${name}`);
      find(name).unschedulable = true;
    },
    restoreNode: async ({ snapshot }) => {
      calls.push(`restoreNode ${snapshot.name}`);
      const n = world.find((x) => x.name === snapshot.name);
      if (n) n.unschedulable = snapshot.unschedulable;
      return { restored: true, undone: [] };
    },
    drainNode: async ({ node: name, deletePods }): Promise<DrainResult> => {
      calls.push(`drainNode ${name}${deletePods ? ' (delete)' : ''}`);
      const ctx = Context.current();
      while (faults.holdDrain?.includes(name) && !released.has(name)) {
        ctx.heartbeat();
        await ctx.sleep(50); // throws when the drain is cancelled (abort)
      }
      await sleep(stepMs);
      const blocked = deletePods ? [] : budgetRefuses(name);
      const drained = blocked.length === 0;
      return {
        node: name,
        drained,
        evicted: drained ? 1 : 0,
        skipped: [],
        podsLeft: blocked.length,
        blocked,
        timedOut: !drained,
      };
    },
    replaceNode: async ({ snapshot, targetVersion }) => {
      calls.push(`replaceNode ${snapshot.name}`);
      await sleep(stepMs);
      if (faults.replaceFails?.includes(snapshot.name) && !repaired.has(snapshot.name)) {
        throw ApplicationFailure.nonRetryable(
          `replacement of ${snapshot.name} failed: exit status 1`,
          Failure.ReplaceFailed,
        );
      }
      find(snapshot.name).kubeletVersion = targetVersion;
      return { node: snapshot.name, replaced: true, detail: '' };
    },
    surgeNode: async ({ snapshot, targetVersion }) => {
      const name = surgeName(snapshot.name, targetVersion);
      calls.push(`surgeNode ${snapshot.name} → ${name}`);
      await sleep(stepMs);
      if (!world.some((n) => n.name === name)) world.push({ ...node(name, 'worker'), kubeletVersion: targetVersion });
      return { node: name, replaced: true, detail: '' };
    },
    retireNode: async ({ node: name }) => {
      calls.push(`retireNode ${name}`);
      const i = world.findIndex((n) => n.name === name);
      if (i >= 0) world.splice(i, 1);
    },
    waitNodeReady: async ({ targetVersion }) => ({ version: targetVersion }),
    smokePod: async ({ node: name }) => {
      calls.push(`smokePod ${name}`);
      const held = faults.smokeFails?.includes(name) && !smokeFixed.has(name);
      const detail = held ? `smoke pod on ${name} not Ready within 60 s: phase Pending` : 'Ready after 1 s';
      return { name: 'smoke-pod', ok: !held, node: name, detail, seconds: 1 };
    },
    // The cluster's record and lock (workflows/cluster/ in production): always granted here.
    acquireCluster: async ({ cluster }) => ({ record: record(cluster) }),
    patchClusterRecord: async ({ cluster, patch }) => record(cluster, patch),
    releaseCluster: async ({ cluster, patch }) => record(cluster, patch),
  };
  const record = (cluster: string, patch: object = {}) => ({
    cluster,
    status: 'UPDATE_IN_PROGRESS' as const,
    status_reason: '',
    template: '',
    coe_version: '',
    updated_at: '',
    ...patch,
  });
  const reset = () => {
    cordoned.length = 0;
    calls.length = 0;
    world.splice(0, world.length, ...initial());
    released.clear();
    unblocked.clear();
    repaired.clear();
    smokeFixed.clear();
    healed = false;
    gateCalls = 0;
  };
  return {
    cordoned,
    calls,
    world,
    activities,
    reset,
    /** lets a held drain finish */
    release: (name: string) => void released.add(name),
    /** the budget allows the node's evictions from now on */
    unblock: (name: string) => void unblocked.add(name),
    /** the health gate passes from now on */
    heal: () => void (healed = true),
    /** the node's replacement works from now on */
    repair: (name: string) => void repaired.add(name),
    /** the node's smoke pod becomes Ready from now on */
    smokeReady: (name: string) => void smokeFixed.add(name),
    /** an autoscaler removes the node */
    remove: (name: string) => void world.splice(world.indexOf(find(name)), 1),
    /** an autoscaler adds a worker at the old version */
    join: (name: string) => void world.push(node(name, 'worker')),
  };
}

export type MockWorld = ReturnType<typeof mockWorld>;

/**
 * One set of activities over several worlds, each chosen by the cluster its activity names (every
 * activity's input is the cluster's name or an object with `cluster`): many scenarios on one worker.
 */
export function byCluster(worlds: Record<string, Partial<Activities>>): Partial<Activities> {
  const names = new Set(Object.values(worlds).flatMap((w) => Object.keys(w)));
  const route = (name: string) => async (input: unknown) => {
    const cluster = typeof input === 'string' ? input : (input as { cluster?: unknown } | null)?.cluster;
    const fn = worlds[String(cluster)]?.[name as keyof Activities] as ((i: unknown) => Promise<unknown>) | undefined;
    if (!fn) throw ApplicationFailure.nonRetryable(`no simulated cluster "${String(cluster)}" for activity ${name}`);
    return await fn(input);
  };
  return Object.fromEntries([...names].map((n) => [n, route(n)])) as Partial<Activities>;
}
