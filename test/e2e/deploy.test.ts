/**
 * deploy/worker.yaml against the local cluster's API server: after deploy/rbac.yaml is applied for
 * real, the server accepts every object of it (kubectl apply --dry-run=server), and the objects as the
 * server returns them fit together: two workers run as the shipped ServiceAccount, which the shipped
 * roles bind (asked with `kubectl auth can-i` as that account); the catalogue, kubeconfig and Temporal
 * TLS paths point at files the mounts provide, in variables the worker reads; the probes ask the
 * worker's health port; the pod outlives the worker's shutdown grace; it runs non-root on a read-only
 * root with a writable state dir; its resources are sized. The Deployment is one worker build's (Worker
 * Versioning): its name, pod labels, image tag and K8S_RU_BUILD_ID carry the build, its selector only
 * that build's pods, so the next build's copy is applied beside it, not rolled over it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { binaries, clusterOptions, kubeconfigPath, kubectl } from '../../localcluster/cluster.js';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import { FLAG_VARIABLES } from '../../config/temporal.js';
import { healthAnswer } from '../../worker/health.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RBAC = `${root}deploy/rbac.yaml`;
const WORKER = `${root}deploy/worker.yaml`;
const cluster = clusterOptions();

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: Mount[];
  livenessProbe: { httpGet: { path: string; port: string | number } };
  readinessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface Volume {
  name: string;
  configMap?: { name: string; defaultMode?: number };
  secret?: { secretName: string; defaultMode?: number };
  emptyDir?: object;
}
interface Labelled {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { selector: { matchLabels: Record<string, string> } };
}
interface PodSpec {
  serviceAccountName: string;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes: Volume[];
}

const rbac = parseAllDocuments(readFileSync(RBAC, 'utf8')).map((d) => d.toJS() as Manifest);
let accepted: Manifest[] = [];
let pod: PodSpec;
let worker: Container;
let podLabels: Record<string, string> = {};

const env = (name: string) => worker.env.find((e) => e.name === name)?.value;
/** The volume mounted over `path`, and the path inside it. */
function mountOf(path: string): { volume: Volume; mount: Mount; inside: string } {
  const mount = worker.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `nothing is mounted over ${path}`);
  assert.equal(mount.subPath, undefined, `${mount.mountPath}: a subPath mount is never updated`);
  const volume = pod.volumes.find((v) => v.name === mount.name);
  assert.ok(volume, `the volume ${mount.name} is not declared`);
  return { volume, mount, inside: posix.relative(mount.mountPath, path) };
}

before(() => {
  kubectl(cluster, ['apply', '-f', RBAC]);
  const out = kubectl(cluster, ['apply', '--dry-run=server', '-f', WORKER, '-o', 'json']);
  const parsed = JSON.parse(out) as Manifest & { items?: Manifest[] };
  accepted = parsed.items ?? [parsed];
  const deployment = accepted.find((m) => m.kind === 'Deployment') as
    (Manifest & { spec: { replicas: number; template: { spec: PodSpec } } }) | undefined;
  assert.ok(deployment, 'no Deployment in deploy/worker.yaml');
  pod = deployment.spec.template.spec;
  podLabels = (deployment.spec.template as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
  const first = pod.containers[0];
  assert.ok(first, 'the Deployment has no container');
  worker = first;
});

describe('deploy/worker.yaml', () => {
  it('is accepted by the API server (dry-run), every object of it', () => {
    const declared = parseAllDocuments(readFileSync(WORKER, 'utf8')).map((d) => d.toJS() as Manifest);
    assert.deepEqual(
      accepted.map((m) => `${m.kind}/${m.metadata.name}`),
      declared.map((m) => `${m.kind}/${m.metadata.name}`),
    );
    assert.deepEqual(
      accepted.map((m) => m.kind),
      ['ConfigMap', 'Deployment', 'PodDisruptionBudget'],
    );
    const deployment = accepted[1] as Manifest & { spec: { replicas: number } };
    assert.equal(deployment.spec.replicas, 2);
  });

  it('runs the workers as the ServiceAccount the shipped roles bind, and no more', () => {
    const account = rbac.find((m) => m.kind === 'ServiceAccount');
    assert.ok(account, 'deploy/rbac.yaml has no ServiceAccount');
    assert.equal(pod.serviceAccountName, account.metadata.name);
    for (const m of accepted) assert.equal(m.metadata.namespace, account.metadata.namespace, m.kind);
    const as = `--as=system:serviceaccount:${account.metadata.namespace}:${account.metadata.name}`;
    // (`can-i` exits 1 for "no": spawned here, not through kubectl(), which throws on it)
    const kubectlBin = join(binaries(), 'kubectl');
    const can = (...args: string[]) =>
      spawnSync(kubectlBin, ['--kubeconfig', kubeconfigPath(cluster), 'auth', 'can-i', as, ...args], {
        encoding: 'utf8',
      }).stdout.trim();
    const asked: string[][] = [
      ['create', 'pods', '--subresource=eviction'],
      ['patch', 'nodes'],
      ['delete', 'nodes'],
      ['list', 'poddisruptionbudgets.policy'],
      ['get', 'leases.coordination.k8s.io/kube-scheduler', '-n', 'kube-system'],
      ['get', '/readyz'],
    ];
    for (const args of asked) assert.equal(can(...args), 'yes', `the workers' account may not ${args.join(' ')}`);
    for (const args of [
      ['get', 'secrets', '-A'],
      ['create', 'deployments'],
      ['get', 'leases', '-n', 'default'],
    ]) {
      assert.equal(can(...args), 'no', `the workers' account may ${args.join(' ')}`);
    }
  });

  it('gives the worker its catalogue, kubeconfigs and Temporal TLS as mounted files, in variables it reads', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts', '--help'], {
      cwd: root,
      encoding: 'utf8',
    }).stdout.replace(/\s+/g, ' ');
    for (const { name } of worker.env) {
      const known = Object.values(FLAG_VARIABLES).includes(name) || help.includes(`env: ${name})`);
      assert.ok(known, `the worker reads no variable ${name}`);
    }
    // the catalogue: a key of the ConfigMap, and a catalogue the worker loads
    const catalogue = mountOf(env('K8S_RU_CATALOGUE') ?? '(K8S_RU_CATALOGUE not set)');
    const configMap = accepted.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === catalogue.volume.configMap?.name,
    ) as (Manifest & { data: Record<string, string> }) | undefined;
    assert.ok(configMap, `K8S_RU_CATALOGUE is not in the ConfigMap of this file`);
    const text = configMap.data[catalogue.inside];
    assert.ok(text, `the ConfigMap has no ${catalogue.inside}`);
    const parsed = parseCatalogue(text, catalogue.mount.mountPath, {});
    assert.ok(parsed.clusters.length > 0);
    for (const c of parsed.clusters) {
      assert.ok(mountOf(c.kubeconfig).volume.secret, `cluster ${c.name}'s kubeconfig is not from a Secret`);
      if (c.replace.provider !== 'command') continue;
      const command = c.replace.command.split(' ')[0] ?? '';
      const script = mountOf(command);
      assert.ok(
        configMap.data[script.inside]?.startsWith('#!'),
        `cluster ${c.name}: ${command} is not in the ConfigMap`,
      );
      assert.equal((script.volume.configMap?.defaultMode ?? 0o644) & 0o111, 0o111, `${command} is not executable`);
    }
    // Temporal: TLS files from a Secret, the API key from one
    assert.ok(env('TEMPORAL_ADDRESS') && env('TEMPORAL_NAMESPACE'));
    assert.equal(env('TEMPORAL_TLS'), 'true');
    const tls = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'];
    for (const name of tls)
      assert.ok(mountOf(env(name) ?? `(${name} not set)`).volume.secret, `${name} is not from a Secret`);
    const apiKey = worker.env.find((e) => e.name === 'TEMPORAL_API_KEY');
    assert.ok(apiKey?.valueFrom?.secretKeyRef, 'TEMPORAL_API_KEY is not from a Secret');
    for (const m of worker.volumeMounts.filter((x) => x.name !== 'state' && x.name !== 'tmp')) {
      assert.equal(m.readOnly, true, `${m.mountPath} is writable`);
    }
  });

  it('probes the worker health port and outlives its shutdown grace', () => {
    const port = worker.ports.find((p) => String(p.containerPort) === env('K8S_RU_HEALTH_PORT'));
    assert.ok(port, 'no container port is K8S_RU_HEALTH_PORT');
    for (const [probe, path, status] of [
      [worker.livenessProbe, '/healthz', 200],
      [worker.readinessProbe, '/readyz', 200],
    ] as const) {
      assert.ok([port.name, port.containerPort].includes(probe.httpGet.port), `${path} is probed on another port`);
      assert.equal(probe.httpGet.path, path);
      assert.equal(healthAnswer(path, 'RUNNING').status, status, `the worker does not answer ${path}`);
    }
    // draining: alive, not ready
    assert.equal(healthAnswer('/healthz', 'DRAINING').status, 200);
    assert.equal(healthAnswer('/readyz', 'DRAINING').status, 503);
    const grace = Number(env('K8S_RU_SHUTDOWN_GRACE'));
    assert.ok(grace >= 600, `K8S_RU_SHUTDOWN_GRACE ${grace}: too short for a node replacement`);
    // after the grace: the command's group SIGTERM, SIGKILL 10 s later, its end recorded, the worker's exit
    assert.ok(
      pod.terminationGracePeriodSeconds >= grace + 30,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} leaves the worker no time after its ${grace} s grace`,
    );
  });

  it('runs non-root on a read-only root, writes only its state dir and /tmp, and is sized', () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok((pod.securityContext.runAsUser ?? 0) > 0);
    assert.equal(worker.securityContext.readOnlyRootFilesystem, true);
    assert.equal(worker.securityContext.allowPrivilegeEscalation, false);
    for (const path of [`${env('K8S_RU_STATE_DIR')}/replace`, '/tmp/x']) {
      const { volume, mount } = mountOf(path);
      assert.ok(volume.emptyDir && !mount.readOnly, `${path} is not on a writable volume`);
    }
    const mib = (q: string | undefined) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q ?? '');
      assert.ok(m, `memory ${q} is not in Mi or Gi`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
    };
    // bench:scale's peak worker RSS at 1,000 nodes is 311 MB (README, Performance): 297 MiB
    assert.ok(mib(worker.resources.requests.memory) >= 297, 'the memory request is below the measured peak');
    assert.ok(mib(worker.resources.limits.memory) >= mib(worker.resources.requests.memory) * 1.25, 'no headroom');
    assert.ok(worker.resources.requests.cpu, 'no CPU request');
  });
});

describe('deploy/worker.yaml, one Deployment per worker build', () => {
  const BUILD_LABEL = 'app.kubernetes.io/version';
  const labelled = (kind: string) => accepted.find((m) => m.kind === kind) as (Manifest & Labelled) | undefined;

  it('names the build in the Deployment, its pods, its selector, its image and its Temporal version', () => {
    const deployment = labelled('Deployment')!;
    const build = podLabels[BUILD_LABEL];
    assert.ok(build, `the pods have no ${BUILD_LABEL} label (the worker build)`);
    assert.equal(deployment.spec.selector.matchLabels[BUILD_LABEL], build, "the selector takes every build's pods");
    assert.ok(
      deployment.metadata.name.endsWith(`-${build}`),
      `${deployment.metadata.name} does not name build ${build}`,
    );
    assert.equal(
      (worker as Container & { image: string }).image.split(':').at(-1),
      build,
      'the image tag is not the build',
    );
    assert.equal(
      env('K8S_RU_BUILD_ID'),
      build,
      'the worker runs as another Temporal version than its Deployment names',
    );
    assert.ok(env('K8S_RU_DEPLOYMENT_NAME'), 'K8S_RU_DEPLOYMENT_NAME is not set');
    // the budget counts the workers of every build (two builds run side by side during a roll-out)
    const budget = labelled('PodDisruptionBudget')!;
    assert.equal(budget.spec.selector.matchLabels[BUILD_LABEL], undefined, 'the budget counts one build only');
    for (const [k, v] of Object.entries(budget.spec.selector.matchLabels)) assert.equal(podLabels[k], v);
  });

  it("is applied beside the next build's copy: the server takes both, and neither selects the other's pods", () => {
    const build = podLabels[BUILD_LABEL]!;
    const next = `${build}-next`;
    const text = readFileSync(WORKER, 'utf8');
    const copy = text
      .replaceAll(`k8s-rolling-upgrade-worker-${build}`, `k8s-rolling-upgrade-worker-${next}`)
      .replaceAll(`${BUILD_LABEL}: ${build}`, `${BUILD_LABEL}: ${next}`)
      .replaceAll(`k8s-rolling-upgrade-worker:${build}`, `k8s-rolling-upgrade-worker:${next}`)
      .replaceAll(`{ name: K8S_RU_BUILD_ID, value: ${build} }`, `{ name: K8S_RU_BUILD_ID, value: ${next} }`);
    const out = kubectl(cluster, ['apply', '--dry-run=server', '-f', '-', '-o', 'json'], copy);
    const parsed = JSON.parse(out) as Manifest & { items?: Manifest[] };
    const second = (parsed.items ?? [parsed]).find((m) => m.kind === 'Deployment') as Manifest &
      Labelled & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
    assert.equal(second.metadata.name, `k8s-rolling-upgrade-worker-${next}`, 'the copy is the same Deployment');
    const first = labelled('Deployment')!;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(!selects(first.spec.selector.matchLabels, second.spec.template.metadata.labels));
    assert.ok(!selects(second.spec.selector.matchLabels, podLabels));
    const secondEnv = second.spec.template.spec.containers[0]!.env;
    assert.equal(secondEnv.find((e) => e.name === 'K8S_RU_BUILD_ID')?.value, next);
  });
});
