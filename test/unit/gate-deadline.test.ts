/**
 * A gate never outlives its timeout: against an API server that accepts connections and never answers
 * (a local server), the gate returns at its deadline (a round gets at least 5 s), every check saying it
 * had no answer, and heartbeats all along. (Probes cut to the deadline: gate-probes.test.ts.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import type { Kube } from '../../activities/kube/client.js';
import { gateUntilHealthy } from '../../activities/kube/health.js';

let silent: Server;
let kube: Kube;
const url = () => `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;

before(async () => {
  silent = createServer(() => undefined); // takes every request, answers none
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'silent', server: url(), skipTLSVerify: true }], // plain HTTP needs it
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'silent', cluster: 'silent', user: 'u' }],
    currentContext: 'silent',
  });
  kube = {
    cluster: 'silent',
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
  };
});
after(() => {
  silent.closeAllConnections();
  silent.close();
});

describe('gateUntilHealthy', () => {
  it('returns at its deadline when nothing answers, each check saying so, heartbeating meanwhile', async () => {
    const beats: number[] = [];
    const started = Date.now();
    const result = await gateUntilHealthy(kube, {}, 1000, {
      sleep: (ms) => sleep(ms),
      heartbeat: () => beats.push(Date.now() - started),
    });
    const took = Date.now() - started;
    assert.ok(took >= 4900 && took < 6500, `took ${took} ms: a round gets 5 s, no more`);
    assert.equal(result.healthy, false);
    assert.deepEqual(
      result.checks.map((c) => [c.name, c.ok, c.detail]),
      [
        ['api', false, "could not check: no answer before the gate's deadline"],
        ['apiserver', false, "could not check: no answer before the gate's deadline"],
      ],
    );
    assert.ok(beats.length >= 2, `heartbeats at ${beats.join(', ')} ms`);
    // each failed check says where to look next
    assert.match(result.checks[0]?.lookAt ?? '', /kubeconfig.*kube-apiserver's process and log/);
    assert.match(result.checks[1]?.lookAt ?? '', /readyz\?verbose.*etcd/);
  });

  it('ends a longer gate at its own deadline', async () => {
    const started = Date.now();
    const result = await gateUntilHealthy(kube, {}, 6000, { sleep: (ms) => sleep(ms), heartbeat: () => undefined });
    const took = Date.now() - started;
    assert.ok(took >= 5900 && took < 7500, `took ${took} ms for a 6 s gate`);
    assert.equal(result.healthy, false);
  });
});
