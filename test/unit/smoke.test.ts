/**
 * The smoke pod's catalogue field (defaults, and a clear error for every bad value, naming the
 * cluster), its name and labels, and how what a pod showed is put in words for the operator.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import { labelValue, smokePodName, smokePodSpec } from '../../activities/kube/smoke.js';
import { lookAt, observe, observedText, tolerationsFor } from '../../activities/kube/smoke-report.js';
import { healthReason } from '../../client/render.js';
import { SMOKE_DEFAULTS, unrunLookAt } from '../../model/smoke.js';
import type { UpgradeStatus } from '../../model/status.js';

const fixture = readFileSync(fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url)), 'utf8');
const CLUSTER = '    replace: { provider: kwok, delaySeconds: 1 }\n    probeHosts: [127.0.0.1]';

/** The fixture catalogue with `smoke` (YAML text) on its first cluster. */
const withSmoke = (smoke: string) =>
  parseCatalogue(fixture.replace(CLUSTER, `${CLUSTER}\n    smoke: ${smoke}`), '/tmp', {});

describe('catalogue: smoke', () => {
  it('is on by default, with the pause image, 60 s and the project namespace', () => {
    const cat = parseCatalogue(fixture, '/tmp', {});
    for (const c of cat.clusters) assert.deepEqual(c.smoke, SMOKE_DEFAULTS);
    assert.deepEqual(withSmoke('').clusters[0]?.smoke, SMOKE_DEFAULTS, 'an empty field is the default');
  });

  it('takes each field, the rest defaulted', () => {
    const cat = withSmoke('{ image: registry.example.com/pause:3.10, timeoutSeconds: 30, enabled: false }');
    assert.deepEqual(cat.clusters[0]?.smoke, {
      enabled: false,
      image: 'registry.example.com/pause:3.10',
      timeoutSeconds: 30,
      namespace: 'k8s-rolling-upgrade',
    });
    assert.equal(withSmoke('{ namespace: smoke-tests }').clusters[0]?.smoke.namespace, 'smoke-tests');
  });

  const refused: [string, RegExp][] = [
    ['pause', /cluster k8s-upgrade-test: "smoke" must be a map such as \{ image: .*enabled: true \}/],
    ['[1]', /cluster k8s-upgrade-test: "smoke" must be a map/],
    [
      '{ timeout: 30 }',
      /cluster k8s-upgrade-test: smoke: unknown field "timeout" \(known: enabled, image, timeoutSeconds, namespace\)/,
    ],
    ['{ enabled: "no" }', /cluster k8s-upgrade-test: "smoke.enabled" must be true or false/],
    ['{ timeoutSeconds: 0 }', /"smoke.timeoutSeconds" must be a whole number of seconds from 1 to 900/],
    ['{ timeoutSeconds: 901 }', /"smoke.timeoutSeconds" must be a whole number of seconds from 1 to 900/],
    ['{ timeoutSeconds: 2.5 }', /"smoke.timeoutSeconds" must be a whole number/],
    ['{ timeoutSeconds: "60" }', /"smoke.timeoutSeconds" must be a whole number/],
    ['{ image: "" }', /"smoke.image" must be an image reference such as registry.k8s.io\/pause:3.10/],
    ['{ image: "pause 3.10" }', /"smoke.image" must be an image reference/],
    ['{ image: "--privileged" }', /"smoke.image" must be an image reference/],
    [
      '{ namespace: Kube_System }',
      /"smoke.namespace" must be a namespace name .*deploy\/rbac.yaml grants k8s-rolling-upgrade/,
    ],
  ];
  for (const [smoke, re] of refused) {
    it(`refuses smoke: ${smoke}`, () => assert.throws(() => withSmoke(smoke), re));
  }

  it('names every problem of the field at once', () => {
    assert.throws(
      () => withSmoke('{ enabled: 1, timeoutSeconds: -1, extra: x }'),
      (err: Error) =>
        /unknown field "extra"/.test(err.message) &&
        /"smoke.enabled" must be true or false/.test(err.message) &&
        /"smoke.timeoutSeconds" must be/.test(err.message),
    );
  });
});

describe('the smoke pod', () => {
  it('has a name per upgrade and node, the same on every attempt, a valid DNS subdomain', () => {
    const a = smokePodName('upgrade-c1', 'node-1');
    assert.equal(a, smokePodName('upgrade-c1', 'node-1'));
    assert.notEqual(a, smokePodName('upgrade-c1', 'node-2'));
    assert.notEqual(a, smokePodName('upgrade-c2', 'node-1'));
    assert.match(a, /^smoke-node-1-[0-9a-f]{10}$/);
    const long = smokePodName('u', `${'a'.repeat(240)}.b`);
    assert.ok(long.length <= 253);
    assert.match(long, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    assert.doesNotMatch(long, /[.-]-/);
  });

  it('labels with the node and upgrade, hashed when they are no label value', () => {
    assert.equal(labelValue('k8s-upgrade-test-minion-0'), 'k8s-upgrade-test-minion-0');
    assert.match(labelValue('upgrade/with/slashes'), /^h-[0-9a-f]{10}$/);
    assert.match(labelValue('x'.repeat(64)), /^h-/);
  });

  it('is pinned, tiny, non-root, without a token, tolerating the node taints', () => {
    const settings = { ...SMOKE_DEFAULTS };
    const tolerations = tolerationsFor([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      { key: 'k8s-ru.test/smoke', value: 'hold', effect: 'PreferNoSchedule' },
    ]);
    assert.deepEqual(tolerations, [
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'k8s-ru.test/smoke', operator: 'Equal', value: 'hold', effect: 'PreferNoSchedule' },
    ]);
    const pod = smokePodSpec('p', { cluster: 'c', node: 'n-1', upgradeId: 'upgrade-c' }, settings, tolerations);
    assert.equal(pod.metadata?.namespace, 'k8s-rolling-upgrade');
    assert.equal(pod.spec?.nodeName, 'n-1');
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.spec?.securityContext?.runAsNonRoot, true);
    assert.deepEqual(pod.spec?.containers[0]?.securityContext?.capabilities?.drop, ['ALL']);
    assert.equal(pod.spec?.containers[0]?.image, 'registry.k8s.io/pause:3.10');
    assert.ok((pod.spec?.activeDeadlineSeconds ?? 0) > settings.timeoutSeconds);
    assert.equal(pod.metadata?.labels?.['k8s-rolling-upgrade/smoke-node'], 'n-1');
  });
});

describe('what a smoke pod showed', () => {
  const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });

  it('a pod no kubelet picked up: look at the kubelet', () => {
    const o = observe(pod({ phase: 'Pending' }), []);
    assert.equal(observedText(o), 'phase Pending; no conditions; no container status');
    assert.match(lookAt(o, 'n-1', 'img'), /^the kubelet on n-1: it never started the pod/);
  });

  it('a sandbox that fails: look at the pod network', () => {
    const o = observe(
      pod({
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        containerStatuses: [
          {
            name: 'smoke',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      }),
      [
        {
          type: 'Warning',
          reason: 'FailedCreatePodSandBox',
          message: 'failed to set up the network',
          involvedObject: {},
          metadata: {},
        },
      ],
    );
    assert.equal(
      observedText(o),
      'phase Pending; Ready=False (ContainersNotReady); smoke: waiting (ContainerCreating); events: Warning FailedCreatePodSandBox: failed to set up the network',
    );
    assert.match(lookAt(o, 'n-1', 'img'), /^the pod network on n-1: its CNI plugin/);
  });

  it('an image that cannot be pulled: look at the registry, or smoke.image', () => {
    const o = observe(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'smoke',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
          },
        ],
      }),
      'events not readable: forbidden',
    );
    assert.deepEqual(o.events, ['events not readable: forbidden']);
    assert.match(lookAt(o, 'n-1', 'reg/pause:1'), /whether n-1 can pull reg\/pause:1 .*smoke\.image/);
  });

  it('a pod the kubelet refused, and an image that exits', () => {
    assert.match(lookAt(observe(pod({ phase: 'Failed', reason: 'OutOfcpu' }), []), 'n-1', 'i'), /refused or ended/);
    const exited = observe(
      pod({
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'smoke',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      }),
      [],
    );
    assert.match(lookAt(exited, 'n-1', 'busybox'), /smoke\.image must run until stopped/);
  });
});

describe('kru status: the smoke pod among the checks', () => {
  it('lists what each check observed, and where to look for a smoke pod never Ready (after the node moved on too)', () => {
    const smoke = {
      name: 'smoke-pod',
      ok: false,
      node: 'w-1',
      detail: 'smoke pod k8s-rolling-upgrade/smoke-w-1-x on w-1 not Ready within 60 s: phase Pending',
      lookAt: 'the pod network on w-1',
    };
    const ready = { name: 'smoke-pod', ok: true, node: 'w-2', detail: 'Ready after 1 s on w-2' };
    const status = {
      lastGate: {
        healthy: true,
        at: '2026-11-30T08:00:00.000Z',
        checks: [
          { name: 'api', ok: true, detail: 'ok' },
          { name: 'nodes', ok: true, detail: 'all Ready' },
        ],
      },
      nodes: [
        { name: 'w-1', step: 'done', smoke },
        { name: 'w-2', step: 'done', smoke: ready },
      ],
    } as unknown as UpgradeStatus;
    assert.deepEqual(healthReason(status), {
      api: 'ok',
      nodes: 'ok: all Ready',
      'smoke-pod/w-1': `${smoke.detail}; look at the pod network on w-1`,
      'smoke-pod/w-2': 'ok: Ready after 1 s on w-2',
    });
  });
});

describe('a smoke pod that could not be run: where to look', () => {
  it('names admission, the Role, the namespace or the API server, from the error', () => {
    assert.match(
      unrunLookAt(
        'forbidden: cannot create pods k8s-rolling-upgrade/smoke-w-1-x: pods "smoke-w-1-x" is forbidden: violates PodSecurity "restricted:latest": seccompProfile',
      ),
      /^the admission of the smoke namespace .*pod-security.kubernetes.io labels .*admission webhook/,
    );
    assert.match(
      unrunLookAt('admission webhook "validate.kyverno.svc" denied the request: no pause images'),
      /^the admission of the smoke namespace/,
    );
    assert.match(
      unrunLookAt(
        'forbidden: cannot list pods in k8s-rolling-upgrade: pods is forbidden: User "system:serviceaccount:kube-system:k8s-rolling-upgrade" cannot list resource "pods" in API group "" in the namespace "k8s-rolling-upgrade"',
      ),
      /^deploy\/rbac.yaml's Role in the smoke namespace .*RoleBinding/,
    );
    assert.match(
      unrunLookAt(
        'forbidden: cannot create pods k8s-rolling-upgrade/smoke-w-1-x: pods "smoke-w-1-x" is forbidden: minimum memory usage per Container is 64Mi, but request is 8Mi',
      ),
      /^the admission of the smoke namespace .*ResourceQuota and LimitRange/,
    );
    assert.match(
      unrunLookAt('cannot create the smoke pod: namespace smoke-x does not exist (deploy/rbac.yaml creates it)'),
      /^the smoke namespace \(smoke.namespace, k8s-rolling-upgrade by default\): deploy\/rbac.yaml creates it$/,
    );
    assert.match(unrunLookAt('connect ECONNREFUSED 10.0.0.1:6443'), /^the error: whether the worker reaches/);
  });
});
