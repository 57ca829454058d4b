/**
 * Notifications and Node Events without servers: the catalogue's `notify` entries and the errors that
 * name what is wrong, the URL resolved on the worker (from ${VAR} or urlFrom; an error never shows a
 * value), the two bodies, how a webhook's answer is classified for Temporal's retries, and the Events'
 * names and messages.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import { nodeEventMessage, nodeEventName } from '../../activities/kube/events.js';
import { jsonBody, NOTIFICATION_SCHEMA, slackBody } from '../../activities/notify/payload.js';
import { resolveUrl, sendNotification, webhookLabel } from '../../activities/notify/send.js';
import type { Notification } from '../../model/notify.js';

const catalogue = (notify: string) => `
templates:
  - { name: a, uuid: ua, labels: { kube_tag: v1.11.9 } }
clusters:
  - name: c1
    uuid: uc1
    template: a
    kubeconfig: /k
    replace: { provider: kwok }
    ${notify}
`;
const parse = (notify: string) => parseCatalogue(catalogue(notify), '/tmp', {});
const refused = (notify: string, message: RegExp) => assert.throws(() => parse(notify), message);

const blocked: Notification = {
  event: 'drain-blocked',
  cluster: 'c1',
  upgradeId: 'upgrade-c1',
  fromVersion: 'v1.11.9',
  toVersion: 'v1.12.7',
  message: 'node w-1: drain blocked after 60 s: 1 pod(s) left: default/web-1 (budget default/web) <now>',
  details: { node: 'w-1', budgets: ['default/web'] },
  time: '2026-11-30T03:00:00.000Z',
};

describe('the catalogue: notify', () => {
  it('has no webhooks when absent or empty, and reads url, urlFrom, format and events', () => {
    assert.deepEqual(parse('').clusters[0]?.notify, []);
    assert.deepEqual(parse('notify:').clusters[0]?.notify, []);
    const [c] = parse(`notify:
      - { url: 'https://hooks.example.com/a' }
      - { urlFrom: SLACK_URL, format: slack, events: [drain-blocked, failed] }
      - { url: 'https://hooks.example.com/\${TOKEN}', format: json }`).clusters;
    assert.deepEqual(c?.notify, [
      { url: 'https://hooks.example.com/a', format: 'json' },
      { urlFrom: 'SLACK_URL', format: 'slack', events: ['drain-blocked', 'failed'] },
      { url: 'https://hooks.example.com/${TOKEN}', format: 'json' },
    ]);
  });

  it('names the cluster, the webhook and the field of every mistake', () => {
    refused('notify: { url: x }', /cluster c1: "notify" must be a list of webhooks/);
    refused('notify: [hello]', /cluster c1: notify\[0\] must be a map with "url" or "urlFrom"/);
    refused('notify: [{ format: json }]', /notify\[0\] needs exactly one of "url" and "urlFrom"/);
    refused("notify: [{ url: 'https://a', urlFrom: X }]", /notify\[0\] needs exactly one of "url" and "urlFrom"/);
    refused("notify: [{ url: 'ftp://a/b' }]", /notify\[0\]\.url must be an http:\/\/ or https:\/\/ URL/);
    refused("notify: [{ url: 'hooks.example.com' }]", /notify\[0\]\.url is not a URL/);
    refused("notify: [{ url: 'https://a/${TOKEN' }]", /notify\[0\]\.url has a "\$\{" that is not \$\{NAME\}/);
    refused('notify: [{ urlFrom: 1X }]', /notify\[0\]\.urlFrom must be a variable name/);
    refused(
      "notify: [{ url: 'https://a', format: teams }]",
      /notify\[0\]\.format must be one of json, slack \(got teams\)/,
    );
    refused(
      "notify: [{ url: 'https://a' }, { url: 'https://b', events: [started, finished] }]",
      /notify\[1\]\.events: "finished" is not an event \(started, paused, drain-blocked, waiting-for-window, gate-failed, failed, aborted, completed\)/,
    );
    refused("notify: [{ url: 'https://a', events: [] }]", /notify\[0\]\.events must be a non-empty list/);
    refused("notify: [{ url: 'https://a', secret: x }]", /notify\[0\]: unknown field "secret"/);
  });
});

describe('webhook URLs, resolved on the worker', () => {
  it('expands ${VAR} and ${VAR:-default}, or takes the whole URL from urlFrom', () => {
    const env = { TOKEN: 's3cr3t', HOOK: 'https://hooks.slack.com/services/T/B/s3cr3t' };
    assert.equal(resolveUrl({ url: 'https://h.example/${TOKEN}', format: 'json' }, env), 'https://h.example/s3cr3t');
    assert.equal(resolveUrl({ url: 'https://h.example/${NONE:-x}', format: 'json' }, env), 'https://h.example/x');
    assert.equal(resolveUrl({ urlFrom: 'HOOK', format: 'slack' }, env), env.HOOK);
  });

  it('says which variable is missing or wrong, never a value', () => {
    assert.throws(
      () => resolveUrl({ urlFrom: 'HOOK', format: 'json' }, {}),
      /environment variable HOOK \(urlFrom\) is not set on the worker/,
    );
    assert.throws(
      () => resolveUrl({ url: 'https://h/${TOKEN}', format: 'json' }, {}),
      /environment variable TOKEN \(in its url\) is not set/,
    );
    assert.throws(
      () => resolveUrl({ urlFrom: 'HOOK', format: 'json' }, { HOOK: 'not-a-url-s3cr3t' }),
      (err: Error) => /the value of HOOK is not an http/.test(err.message) && !err.message.includes('s3cr3t'),
    );
  });

  it('names a webhook by number, host and format', () => {
    assert.equal(
      webhookLabel(1, { urlFrom: 'HOOK', format: 'slack' }, 'https://hooks.slack.com/services/T/B/s3cr3t'),
      'webhook 2 (hooks.slack.com, slack)',
    );
    assert.equal(webhookLabel(0, { urlFrom: 'HOOK', format: 'json' }), 'webhook 1 ($HOOK, json)');
  });
});

describe('notification bodies', () => {
  it('JSON: the documented fields', () => {
    assert.deepEqual(jsonBody(blocked), { schema: NOTIFICATION_SCHEMA, ...blocked });
    assert.deepEqual(jsonBody({ ...blocked, fromVersion: undefined, toVersion: undefined }), {
      schema: NOTIFICATION_SCHEMA,
      ...blocked,
      fromVersion: null,
      toVersion: null,
    });
  });

  it('Slack: text and blocks, with mrkdwn control characters escaped', () => {
    const body = slackBody(blocked);
    assert.equal(
      body.text,
      ':warning: Drain blocked: c1 v1.11.9 → v1.12.7: node w-1: drain blocked after 60 s: 1 pod(s) left: default/web-1 (budget default/web) &lt;now&gt;',
    );
    assert.equal(body.blocks[0]?.type, 'section');
    assert.match(body.blocks[0]?.text?.text ?? '', /^\*:warning: Drain blocked: c1 v1\.11\.9 → v1\.12\.7\*\nnode w-1/);
    assert.equal(body.blocks[1]?.elements?.[0]?.text, 'upgrade upgrade-c1 · drain-blocked · 2026-11-30T03:00:00.000Z');
  });
});

describe('sending, classified for retries', () => {
  let server: Server;
  let url = '';
  const got: { path: string; body: unknown }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        got.push({ path: req.url ?? '', body: JSON.parse(text) as unknown });
        const status = Number(req.url?.slice(1));
        if (status === 429) res.setHeader('retry-after', '3');
        if (status === 302) res.setHeader('location', 'http://elsewhere.example/');
        if (status === 999) return; // never answers
        if (status === 299) {
          // 200 with a body that never ends: written as fast as the client takes it
          res.writeHead(200);
          const chunk = Buffer.alloc(1 << 20, 'x');
          const more = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', more);
          };
          return more();
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const send = (status: number, timeoutMs = 2000) =>
    sendNotification({ urlFrom: 'HOOK', format: 'json' }, 0, blocked, { timeoutMs, env: { HOOK: `${url}/${status}` } });
  const fails = async (status: number, retryable: boolean, message: RegExp, timeoutMs?: number) => {
    await assert.rejects(send(status, timeoutMs), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'WebhookFailed');
      assert.equal(err.nonRetryable, !retryable, `${status} retryable: ${retryable}`);
      assert.match(err.message, message);
      assert.ok(!err.message.includes(`/${status}`), 'no URL path in the message');
      return true;
    });
  };

  it('posts the body and takes any 2xx', async () => {
    assert.equal(await send(204), `webhook 1 (${url.slice(7)}, json): HTTP 204`);
    assert.deepEqual(got.at(-1), { path: '/204', body: jsonBody(blocked) });
  });

  it('takes the status without reading the body (an endless body neither holds the attempt nor fills memory)', async () => {
    const started = Date.now();
    assert.equal(await send(299, 5_000), `webhook 1 (${url.slice(7)}, json): HTTP 200`);
    assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
  });

  it('refuses a URL with credentials in it, naming neither them nor the URL', async () => {
    const withCredentials = `http://hook-user:s3cr3t@${url.slice(7)}/tok3n`;
    assert.throws(
      () => resolveUrl({ urlFrom: 'HOOK', format: 'json' }, { HOOK: withCredentials }),
      /the value of HOOK has credentials \(user:password@\) in it/,
    );
    await assert.rejects(
      sendNotification({ urlFrom: 'HOOK', format: 'json' }, 0, blocked, {
        timeoutMs: 500,
        env: { HOOK: withCredentials },
      }),
      (err: ApplicationFailure) => {
        assert.ok(err.nonRetryable);
        for (const secret of ['s3cr3t', 'hook-user', 'tok3n']) assert.ok(!err.message.includes(secret), err.message);
        return true;
      },
    );
  });

  it('retries 5xx, 408, 429 (after Retry-After) and no answer; not other 4xx or a redirect', async () => {
    await fails(500, true, /webhook 1 \(127\.0\.0\.1:\d+, json\) answered HTTP 500$/);
    await fails(408, true, /HTTP 408/);
    await fails(429, true, /HTTP 429/);
    await assert.rejects(send(429), (err: ApplicationFailure) => err.nextRetryDelay === '3s');
    await fails(404, false, /HTTP 404/);
    await fails(302, false, /HTTP 302 \(a redirect: give the final URL\)/);
    await fails(999, true, /no answer within 0\.3 s/, 300);
    await assert.rejects(
      sendNotification({ urlFrom: 'HOOK', format: 'json' }, 0, blocked, { timeoutMs: 500, env: {} }),
      (err: ApplicationFailure) => err.nonRetryable && /HOOK \(urlFrom\) is not set/.test(err.message),
    );
  });
});

describe('Node Events: names and messages', () => {
  const req = { node: 'w-1', reason: 'DrainBlocked' as const, upgradeId: 'upgrade-c1', upgradeRun: 'r1' };

  it('one name per upgrade (id and run), node and reason, valid as an object name', () => {
    const name = nodeEventName(req);
    assert.match(name, /^w-1\.[0-9a-f]{16}$/);
    assert.equal(nodeEventName({ ...req }), name);
    assert.notEqual(nodeEventName({ ...req, upgradeRun: 'r2' }), name, 'a later upgrade with the same id');
    assert.notEqual(nodeEventName({ ...req, reason: 'Draining' }), name);
    const long = nodeEventName({ ...req, node: `${'a'.repeat(234)}.-b` });
    assert.ok(long.length <= 253 && /^a+\.[0-9a-f]{16}$/.test(long), long);
  });

  it('says the upgrade and versions, within 1024 characters', () => {
    const base = { ...req, detail: 'drain blocked after 60 s', fromVersion: 'v1.11.9', toVersion: 'v1.12.7' };
    assert.equal(nodeEventMessage(base), 'drain blocked after 60 s (upgrade upgrade-c1: v1.11.9 → v1.12.7)');
    assert.equal(
      nodeEventMessage({ ...base, fromVersion: undefined }),
      'drain blocked after 60 s (upgrade upgrade-c1 to v1.12.7)',
    );
    const long = nodeEventMessage({ ...base, detail: 'x'.repeat(2000) });
    assert.equal(long.length, 1024);
    assert.ok(long.endsWith('… (upgrade upgrade-c1: v1.11.9 → v1.12.7)'));
  });
});
