/**
 * What a smoke pod showed, in words: its phase, conditions, containers and Events, and for a pod that
 * never became Ready, where an operator should look. Pure (unit-tested).
 */
import type { CoreV1Event, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';
import type { SmokeObserved } from '../../model/smoke.js';

const short = (text: string | undefined, max = 200) =>
  !text ? '' : text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** Ready, and not being deleted. */
export function podReady(pod: V1Pod | undefined): boolean {
  return (
    !!pod &&
    !pod.metadata?.deletionTimestamp &&
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** A pod with restartPolicy Never that has ended never becomes Ready. */
export const podEnded = (pod: V1Pod | undefined) => ['Failed', 'Succeeded'].includes(pod?.status?.phase ?? '');

/** Tolerates every taint the node has (NoExecute ones would evict it; the rest cost nothing). */
export function tolerationsFor(taints: V1Taint[] | undefined): V1Toleration[] {
  return (taints ?? []).map((t) =>
    t.value
      ? { key: t.key, operator: 'Equal', value: t.value, effect: t.effect }
      : { key: t.key, operator: 'Exists', effect: t.effect },
  );
}

export function observe(pod: V1Pod | undefined, events: CoreV1Event[] | string): SmokeObserved {
  const s = pod?.status;
  const conditions = (s?.conditions ?? []).map(
    (c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${short(c.message, 120)}` : ''})` : ''}`,
  );
  const containers = (s?.containerStatuses ?? []).map((c) => {
    const { waiting, running, terminated } = c.state ?? {};
    if (waiting)
      return `${c.name}: waiting (${waiting.reason ?? '?'}${waiting.message ? `: ${short(waiting.message)}` : ''})`;
    if (terminated) return `${c.name}: exited ${terminated.exitCode} (${terminated.reason ?? '?'})`;
    return `${c.name}: ${running ? 'running' : 'no state'}${c.ready ? ', ready' : ', not ready'}`;
  });
  const said =
    typeof events === 'string'
      ? [events]
      : [...events]
          .sort((a, b) => eventTime(a) - eventTime(b))
          .slice(-5)
          .map(
            (e) =>
              `${e.type ?? 'Normal'} ${e.reason ?? '?'}: ${short(e.message)}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`,
          );
  return { phase: s?.phase, conditions, containers, events: said };
}

function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/** "phase Pending; Ready=False (…); smoke: waiting (ImagePullBackOff); events: Warning Failed: …" */
export function observedText(o: SmokeObserved): string {
  const parts = [`phase ${o.phase ?? 'unknown (no status)'}`];
  const notTrue = o.conditions.filter((c) => !c.includes('=True'));
  if (notTrue.length > 0) parts.push(notTrue.join(', '));
  else if (o.conditions.length === 0) parts.push('no conditions');
  if (o.containers.length > 0) parts.push(o.containers.join(', '));
  else parts.push('no container status');
  if (o.events.length > 0) parts.push(`events: ${o.events.join(' | ')}`);
  return parts.join('; ');
}

/** Where to look when the pod never became Ready, from what it showed. */
export function lookAt(o: SmokeObserved, node: string, image: string): string {
  const text = [...o.containers, ...o.events, ...o.conditions].join('\n');
  const describe = `kubectl describe node ${node}`;
  if (/ImagePull|ErrImage|InvalidImageName|Failed to pull/.test(text) && !/FailedCreatePodSandBox/.test(text))
    return `whether ${node} can pull ${image} (registry access, credentials); or set smoke.image for the cluster to an image it can pull`;
  if (/FailedCreatePodSandBox|network|CNI|sandbox/i.test(text))
    return `the pod network on ${node}: its CNI plugin and container runtime (the CNI DaemonSet's pod on the node and its log; ${describe})`;
  if (o.phase === 'Failed')
    return `why the kubelet on ${node} refused or ended the pod (resources, admission: ${describe}; the kubelet's log)`;
  if (o.phase === 'Succeeded' || /exited/.test(text))
    return `the image ${image}: smoke.image must run until stopped, as registry.k8s.io/pause does`;
  if (o.containers.length === 0 && !o.conditions.some((c) => c.startsWith('Initialized=')))
    return `the kubelet on ${node}: it never started the pod (is it running and talking to the API server? ${describe}; the kubelet's log on the node)`;
  if (o.containers.some((c) => c.includes('running')))
    return `the kubelet on ${node}: the container runs but the pod is not reported Ready (${describe}; the kubelet's log)`;
  return `the container runtime and the kubelet on ${node} (${describe}; their logs on the node)`;
}
