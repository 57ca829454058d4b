/**
 * Probes within bounds: only to hosts the cluster allows (the catalogue's probeHosts), at most
 * MAX_PROBES per upgrade, run at once, every attempt and wait cut to the gate's deadline, and what
 * they report short, never the server's answer. The servers probed are local HTTP servers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import { probeChecks, probeHostAllowed, probeRefusal } from '../../activities/probe.js';
import { MAX_PROBES } from '../../model/options.js';
import { checkRequest } from '../../workflows/input.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('probeHostAllowed', () => {
  const cases: [string, string[], boolean][] = [
    ['http://10.0.0.5/healthz', ['10.0.0.5'], true],
    ['http://10.0.0.5:8080/', ['10.0.0.5'], true],
    ['http://10.0.0.6/', ['10.0.0.5'], false],
    ['http://10.0.0.5/', [], false],
    ['http://svc.example.com:8080/', ['svc.example.com:8080'], true],
    ['http://svc.example.com:9090/', ['svc.example.com:8080'], false],
    ['http://svc.example.com/', ['svc.example.com:80'], true],
    ['https://svc.example.com/', ['svc.example.com:443'], true],
    ['https://svc.example.com/', ['svc.example.com:80'], false],
    ['http://SVC.Example.COM/', ['svc.example.com'], true],
    ['http://a.b.example.com/', ['*.example.com'], true],
    ['http://example.com/', ['*.example.com'], false],
    ['http://badexample.com/', ['*.example.com'], false],
    ['http://[fd00::1]:8080/', ['[fd00::1]'], true],
    ['http://[fd00::2]/', ['[fd00::1]'], false],
    // the URL's host as the worker resolves it: 0x7f.1 is 127.0.0.1, a user part is not a host
    ['http://0x7f.1/', ['127.0.0.1'], true],
    ['http://10.0.0.5@169.254.169.254/', ['10.0.0.5'], false],
  ];
  for (const [url, allowed, expect] of cases) {
    it(`${expect ? 'allows' : 'refuses'} ${url} with [${allowed.join(', ')}]`, () =>
      assert.equal(probeHostAllowed(new URL(url), allowed), expect));
  }

  it('says which host is refused, what is allowed and where to allow it', () => {
    assert.equal(
      probeRefusal('http://169.254.169.254/latest/meta-data/', ['10.0.0.5'], 'c1'),
      "host 169.254.169.254 is not allowed for cluster c1 (allowed: 10.0.0.5); add it to the cluster's probeHosts in the catalogue",
    );
    assert.match(probeRefusal('http://10.0.0.9/', [], 'c1') ?? '', /\(allowed: none\)/);
    assert.equal(probeRefusal('http://10.0.0.5/', ['10.0.0.5'], 'c1'), undefined);
  });
});

describe("the catalogue's probeHosts", () => {
  const catalogue = (probeHosts: string) =>
    'templates: [{name: a, uuid: u, labels: {kube_tag: v1.1.1}}]\n' +
    `clusters: [{name: c, uuid: u, template: a, kubeconfig: /k, replace: {provider: kwok}${probeHosts}}]`;

  it('reads hosts, host:port, IPv6 and *.domain; none when absent', () => {
    const { clusters } = parseCatalogue(
      catalogue(', probeHosts: [10.0.0.5, "svc.example.com:8080", "[fd00::1]", "*.example.com"]'),
      '/srv',
      {},
    );
    assert.deepEqual(clusters[0]?.probeHosts, ['10.0.0.5', 'svc.example.com:8080', '[fd00::1]', '*.example.com']);
    assert.equal(parseCatalogue(catalogue(''), '/srv', {}).clusters[0]?.probeHosts, undefined);
  });

  it('refuses what is not a host, naming it', () => {
    assert.throws(
      () => parseCatalogue(catalogue(', probeHosts: ["http://10.0.0.5/", "a b"]'), '/srv', {}),
      (err: Error) =>
        /cluster c: probeHosts: "http:\/\/10.0.0.5\/" is not a host \(a name or IP, optionally :port/.test(
          err.message,
        ) && /cluster c: probeHosts: "a b" is not a host/.test(err.message),
    );
    assert.throws(() => parseCatalogue(catalogue(', probeHosts: 10.0.0.5'), '/srv', {}), /"probeHosts" must be a list/);
  });
});

describe('the number of probes', () => {
  const base = { cluster: 'c', template: 't' };
  const probes = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `http://10.0.0.${i}/` }));

  it(`takes ${MAX_PROBES} and refuses more, saying why`, () => {
    assert.equal(checkRequest({ ...base, probes: probes(MAX_PROBES) }).options.probes.length, MAX_PROBES);
    assert.throws(
      () => checkRequest({ ...base, probes: probes(MAX_PROBES + 1) }),
      (err: Error) =>
        err instanceof ApplicationFailure &&
        err.message.includes(`"probes" must list at most ${MAX_PROBES} probes (a gate runs them all at once)`),
    );
  });
});

describe('probeChecks', () => {
  let hanging: Server;
  let healthy: Server;
  let failing: Server;
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  const listen = async (s: Server) => await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  before(async () => {
    hanging = createServer(() => undefined); // never answers
    healthy = createServer((_, res) => res.writeHead(200).end());
    failing = createServer((_, res) => res.writeHead(503).end('internal detail: db password expired'));
    await Promise.all([hanging, healthy, failing].map(listen));
  });
  after(() => {
    hanging.closeAllConnections();
    for (const s of [hanging, healthy, failing]) s.close();
  });
  const allowed = () => ['127.0.0.1'];

  it('runs the probes at once: three of 3 × 400 ms take about as long as one', async () => {
    const started = Date.now();
    const checks = await probeChecks(
      [1, 2, 3].map(() => ({ url: url(healthy), successes: 3, intervalMs: 400 })),
      allowed,
      'c1',
      { deadline: Date.now() + 10_000, sleep },
    );
    const took = Date.now() - started;
    assert.ok(
      checks.every((c) => c.ok),
      JSON.stringify(checks),
    );
    assert.ok(took < 2000, `took ${took} ms: one after another would be 2.4 s or more`);
  });

  it('ends every attempt and wait at the deadline, even a 60 s attempt', async () => {
    const started = Date.now();
    const [check] = await probeChecks([{ url: url(hanging), successes: 1, timeoutMs: 60_000 }], allowed, 'c1', {
      deadline: Date.now() + 1500,
      sleep,
    });
    const took = Date.now() - started;
    assert.ok(took >= 1400 && took < 2500, `took ${took} ms, the deadline was 1.5 s`);
    assert.equal(check?.ok, false);
    assert.match(check?.detail ?? '', /^1\/1 failed, 0 of 1 successes in a row; last: no answer within \d+ ms/);
    assert.match(check?.detail ?? '', /stopped at the gate's deadline/);
  });

  it('reports a status code, never the body, and a short error code for no answer', async () => {
    const closed = createServer();
    await listen(closed);
    const gone = url(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const [bad, refused] = await probeChecks(
      [
        { url: url(failing), successes: 1, intervalMs: 50 },
        { url: gone, successes: 1, intervalMs: 50 },
      ],
      allowed,
      'c1',
      { deadline: Date.now() + 500, sleep },
    );
    assert.match(bad?.detail ?? '', /last: HTTP 503/);
    assert.ok(!bad?.detail.includes('password'), bad?.detail);
    assert.match(refused?.detail ?? '', /last: ECONNREFUSED/);
    assert.ok((refused?.detail.length ?? 0) < 120, refused?.detail);
  });

  it('refuses a host the cluster does not allow without a request, and one when the catalogue cannot say', async () => {
    let asked = 0;
    const counting = createServer((_, res) => {
      asked++;
      res.writeHead(200).end();
    });
    await listen(counting);
    const port = (counting.address() as AddressInfo).port;
    const [check] = await probeChecks([{ url: `http://localhost:${port}/` }], allowed, 'c1', {
      deadline: Date.now() + 2000,
      sleep,
    });
    assert.equal(check?.ok, false);
    assert.equal(
      check?.detail,
      `refused: host localhost:${port} is not allowed for cluster c1 (allowed: 127.0.0.1); add it to the cluster's probeHosts in the catalogue`,
    );
    const [unknown] = await probeChecks(
      [{ url: `http://127.0.0.1:${port}/` }],
      () => {
        throw new Error('cluster c1 is not in the catalogue');
      },
      'c1',
      { deadline: Date.now() + 2000, sleep },
    );
    assert.match(unknown?.detail ?? '', /^refused: cannot read the cluster's probeHosts: cluster c1 is not in/);
    counting.close();
    assert.equal(asked, 0, 'no request reached the server');
  });
});
