/**
 * An availability watcher independent of the upgrade: the seed's `while true; do curl -Is <service>`
 * loop, made exact. It watches the nginx pods and the Service's EndpointSlices and, at every event,
 * checks that at least `minAvailable` pods are Ready and at least one endpoint is ready. Each event is
 * one check; a check that fails is an interruption.
 */
import { type KubeConfig, type V1Pod, type V1EndpointSlice, Watch } from '@kubernetes/client-node';

export interface Availability {
  checks: number;
  failed: number;
  /** what was seen at each failed check */
  failures: string[];
  stop(): Promise<void>;
}

const podReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

const readyEndpoints = (slices: Map<string, V1EndpointSlice>) =>
  [...slices.values()].flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length;

export async function watchAvailability(
  config: KubeConfig,
  opts: { namespace: string; selector: string; service: string; minAvailable: number },
): Promise<Availability> {
  const pods = new Map<string, V1Pod>();
  const slices = new Map<string, V1EndpointSlice>();
  let synced = { pods: false, slices: false };
  const result: Availability = { checks: 0, failed: 0, failures: [], stop: async () => undefined };
  const check = (what: string) => {
    if (!synced.pods || !synced.slices) return;
    result.checks++;
    const ready = [...pods.values()].filter(podReady).length;
    const endpoints = readyEndpoints(slices);
    if (ready < opts.minAvailable || endpoints < 1) {
      result.failed++;
      result.failures.push(
        `${new Date().toISOString()} after ${what}: ${ready} Ready pod(s), ${endpoints} ready endpoint(s)`,
      );
    }
  };
  const watch = new Watch(config);
  const aborts: AbortController[] = [];
  let stopped = false;
  /**
   * Follows one kind; a watch the server ends (timeout, dropped connection under load) is started again
   * from a fresh listing, with checks suspended until that listing has been replayed.
   */
  const follow = async <T extends { metadata?: { uid?: string } }>(
    path: string,
    query: Record<string, string>,
    store: Map<string, T>,
    kind: 'pods' | 'slices',
  ) =>
    await new Promise<void>((resolve) => {
      const start = () => {
        synced = { ...synced, [kind]: false };
        store.clear();
        // The first events replay what exists; mark synced after a short quiet period.
        let timer = setTimeout(done, 500);
        function done() {
          synced = { ...synced, [kind]: true };
          resolve();
        }
        void watch
          .watch(
            path,
            query,
            (type: string, obj: T) => {
              const uid = obj.metadata?.uid ?? '';
              if (type === 'DELETED') store.delete(uid);
              else store.set(uid, obj);
              if (!synced[kind]) {
                clearTimeout(timer);
                timer = setTimeout(done, 300);
              }
              check(`${kind} ${type}`);
            },
            () => {
              clearTimeout(timer);
              if (!stopped) setTimeout(start, 100);
            },
          )
          .then((ac) => aborts.push(ac))
          .catch(() => {
            if (!stopped) setTimeout(start, 500);
          });
      };
      start();
    });
  await Promise.all([
    follow<V1Pod>(`/api/v1/namespaces/${opts.namespace}/pods`, { labelSelector: opts.selector }, pods, 'pods'),
    follow<V1EndpointSlice>(
      `/apis/discovery.k8s.io/v1/namespaces/${opts.namespace}/endpointslices`,
      { labelSelector: `kubernetes.io/service-name=${opts.service}` },
      slices,
      'slices',
    ),
  ]);
  check('sync');
  result.stop = async () => {
    stopped = true;
    for (const ac of aborts) ac.abort();
  };
  return result;
}
