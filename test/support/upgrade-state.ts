/** An upgrade state past its pre-flight, for unit tests of the state and what is shown of it. */
import { Upgrade } from '../../workflows/rolling-upgrade/state.js';

export function plannedUpgrade(workers: string[], controlPlane: string[] = []): Upgrade {
  const u = new Upgrade('upgrade-c', 'c', 't');
  u.validated({
    cluster: 'c',
    clusterUuid: 'u',
    fromTemplate: 'f',
    toTemplate: 't',
    toTemplateUuid: 'tu',
    fromVersion: 'v1.11.9',
    toVersion: 'v1.12.7',
    previousStatus: 'CREATE_COMPLETE',
  });
  const node = (name: string, role: 'control-plane' | 'worker') => ({
    name,
    role,
    kubeletVersion: 'v1.11.9',
    ready: true,
    unschedulable: false,
    action: 'upgrade' as const,
  });
  u.planned({
    cluster: 'c',
    fromVersion: 'v1.11.9',
    toVersion: 'v1.12.7',
    nodes: [...controlPlane.map((n) => node(n, 'control-plane')), ...workers.map((n) => node(n, 'worker'))],
    budgets: [],
    warnings: [],
    estimateSeconds: 1,
  });
  u.start();
  return u;
}
