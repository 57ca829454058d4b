/**
 * When each pod of a node was evicted (its deletionTimestamp appeared) and when it was gone, from a
 * watch on the node's pods: what splits a drain into its phases.
 */
import { type KubeConfig, type V1Pod, Watch } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';

export class PodClock {
  /** uid → ms when its eviction was seen */
  evicted = new Map<string, number>();
  /** uid → ms when it was seen deleted */
  gone = new Map<string, number>();
  private abort?: AbortController;

  constructor(
    private readonly config: KubeConfig,
    private readonly namespace: string,
    private readonly node: string,
    /** the pods on the node when the clock starts */
    private readonly pods: number,
  ) {}

  /** Resolves once the watch is live (it has replayed the node's pods), with the clock at zero. */
  async start(): Promise<void> {
    let replayed = 0;
    const seen = new Promise<void>((resolve) => {
      void new Watch(this.config)
        .watch(
          `/api/v1/namespaces/${this.namespace}/pods`,
          { fieldSelector: `spec.nodeName=${this.node}`, allowWatchBookmarks: false },
          (type, pod: V1Pod) => {
            const uid = pod.metadata?.uid ?? '';
            const now = Date.now();
            if (pod.metadata?.deletionTimestamp && !this.evicted.has(uid)) this.evicted.set(uid, now);
            if (type === 'DELETED') this.gone.set(uid, now);
            if (type === 'ADDED' && ++replayed === this.pods) resolve();
          },
          () => undefined,
        )
        .then((a) => (this.abort = a));
    });
    await Promise.race([
      seen,
      sleep(30_000, undefined, { ref: false }).then(() =>
        Promise.reject(new Error('the pod watch did not start within 30 s')),
      ),
    ]);
    this.evicted.clear();
    this.gone.clear();
  }

  stop(): void {
    this.abort?.abort();
  }
}
