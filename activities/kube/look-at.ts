/**
 * Where an operator looks when a gate check fails: one hint per check, naming the commands and logs
 * that show the cause (issue 14, item 7). The check's detail says what was observed; this says where
 * to look next.
 */
const HINTS: Record<string, string> = {
  api: "the API server's address in the cluster's kubeconfig, the network from the worker to it, and kube-apiserver's process and log",
  apiserver:
    '`kubectl get --raw "/readyz?verbose"` and `/livez?verbose`: the failing check by name; for etcd, `etcdctl endpoint health` and etcd\'s log; then kube-apiserver\'s log',
  'control-plane':
    "the named component's leader Lease (`kubectl -n kube-system get lease NAME -o yaml`: holder and renewTime), its pods or processes and their logs",
  nodes:
    "`kubectl describe node NAME`: its conditions and events; the kubelet's log and the container runtime on that machine",
  'node-conditions':
    "`kubectl describe node NAME`: the condition's reason and message; free memory, disk (image and container filesystems) and PIDs on that machine, or its network plugin for NetworkUnavailable",
  workloads:
    "`kubectl -n NS describe KIND NAME` and its pods' events (`kubectl -n NS get pods -o wide`): pods Pending (no room, a node still cordoned), failing readiness or crashing",
  budgets:
    '`kubectl -n NS get pdb NAME -o yaml` (status: currentHealthy, desiredHealthy) and the pods it selects: those not Ready, and why',
};

const PROBE_HINT =
  'the probed service from the worker (`curl -v URL`): its endpoints (`kubectl get endpointslices`), its pods, and the ingress or load balancer in front';

/** The hint for a failed check by its name (`probe <url>` for a probe); a check without one gets none. */
export function lookAtFor(check: string): string | undefined {
  if (check.startsWith('probe ')) return PROBE_HINT.replace('URL', check.slice('probe '.length));
  return HINTS[check];
}
