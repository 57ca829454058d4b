/**
 * Webhook notifications on the real cluster, to HTTP receivers on this machine that record what
 * arrives: a JSON webhook whose URL holds a secret from the environment (${VAR}), a Slack one taken
 * whole from a variable (urlFrom) and filtered by event, one that always answers 500 and one that never
 * answers. A budget-blocked drain is told with its pods and budget; the failing webhooks get their
 * three attempts and no more; the upgrade completes as it would without them (its end does not wait
 * for a webhook); no URL secret is in any workflow history. A closed maintenance window is told with
 * its opening in the window's zone and in UTC, and an abort is told too.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historiesText } from '../support/histories.js';
import { DateTime } from 'luxon';
import type { JsonNotification, SlackNotification } from '../../activities/notify/payload.js';
import type { UpgradeStatus } from '../../model/status.js';
import type { NotifyResult } from '../../workflows/notify/index.js';
import {
  closeHarness,
  CLUSTER,
  freshCluster,
  harness,
  type Harness,
  resultWithin,
  setBudget,
  startUpgrade,
  until,
} from './support.js';

/** Each receiver's port, as the system picks it when it listens (test runs side by side never collide). */
const PORTS = { json: 0, slack: 0, failing: 0, silent: 0 };
const TOKEN = 's3cr3t-json-token-h8';
const SLACK_SECRET = 's3cr3t-slack-path-h8';

interface Arrival {
  at: number;
  path: string;
  body: unknown;
}
const arrived: Record<keyof typeof PORTS, Arrival[]> = { json: [], slack: [], failing: [], silent: [] };
const servers: Server[] = [];

/** A receiver that records each request, then answers 200, 500, or never. */
async function receiver(name: keyof typeof PORTS, answer: 200 | 500 | 'never'): Promise<void> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      arrived[name].push({ at: Date.now(), path: req.url ?? '', body: JSON.parse(text) as unknown });
      if (answer !== 'never') res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  PORTS[name] = (server.address() as AddressInfo).port;
  servers.push(server);
}

const json = () => arrived.json.map((a) => a.body as JsonNotification);
const jsonOf = (event: string) => json().filter((n) => n.event === event);
const slackTexts = () => arrived.slack.map((a) => (a.body as SlackNotification).text);
const eventOf = (a: Arrival) => (a.body as JsonNotification).event;

let h: Harness;
const fixture = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));

before(async () => {
  await receiver('json', 200);
  await receiver('slack', 200);
  await receiver('failing', 500);
  await receiver('silent', 'never');
  process.env.H8_NOTIFY_TOKEN = TOKEN;
  process.env.H8_SLACK_URL = `http://127.0.0.1:${PORTS.slack}/services/T0/B0/${SLACK_SECRET}`;
  const catalogue = join(mkdtempSync(join(tmpdir(), 'k8s-ru-notify-')), 'catalogue.yaml');
  const notify = [
    '    notify:',
    `      - { url: 'http://127.0.0.1:${PORTS.json}/hook/\${H8_NOTIFY_TOKEN}' }`,
    '      - { urlFrom: H8_SLACK_URL, format: slack, events: [drain-blocked, completed] }',
    `      - { url: 'http://127.0.0.1:${PORTS.failing}/fails', events: [started, completed] }`,
    `      - { url: 'http://127.0.0.1:${PORTS.silent}/never', events: [completed] }`,
  ].join('\n');
  const text = readFileSync(fixture, 'utf8').replace(
    /( {2}- name: k8s-upgrade-test\n(?: {4}.*\n)+)/,
    (entry: string) => `${entry}${notify}\n`,
  );
  assert.ok(text.includes('H8_SLACK_URL'), 'the fixture catalogue has the test cluster');
  writeFileSync(catalogue, text);
  process.env.K8S_RU_CATALOGUE = catalogue;
  h = await harness();
});
after(async () => {
  await closeHarness(h);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});
beforeEach(async () => {
  await freshCluster();
  for (const list of Object.values(arrived)) list.length = 0;
});

async function waitFor(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; json: ${JSON.stringify(json())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const blockedNode = (s: UpgradeStatus) => s.nodes.find((n) => n.step === 'blocked')?.name;

describe('webhook notifications', () => {
  it('tells a blocked drain with its pods and budget, and completes on time while two webhooks fail', async () => {
    setBudget(2);
    const handle = await startUpgrade(h, { drainTimeoutSeconds: 3 });
    const id = handle.workflowId;
    const s = await until(handle, 'a blocked drain', (x) => blockedNode(x) !== undefined, 120_000);
    const node = blockedNode(s) ?? '';
    await waitFor(
      'the drain-blocked notifications',
      () => jsonOf('drain-blocked').length > 0 && slackTexts().length > 0,
    );

    const [started] = jsonOf('started');
    assert.deepEqual(
      { ...started, time: undefined, message: undefined },
      {
        schema: 'k8s-rolling-upgrade/notification/v1',
        event: 'started',
        cluster: CLUSTER,
        upgradeId: id,
        fromVersion: 'v1.11.9',
        toVersion: 'v1.12.7',
        details: {
          fromTemplate: 'kubernetes-v1.11.9-prod-20190402',
          toTemplate: 'kubernetes-v1.12.7-prod-20190403',
          nodes: s.nodes.length,
          toUpgrade: s.nodes.length,
        },
        time: undefined,
        message: undefined,
      },
    );
    assert.ok(Date.parse(started?.time ?? '') > 0);
    assert.equal(arrived.json[0]?.path, `/hook/${TOKEN}`, 'the ${VAR} in the URL was expanded on the worker');

    const blocked = jsonOf('drain-blocked')[0];
    assert.match(
      blocked?.message ?? '',
      new RegExp(
        `^node ${node}: drain blocked after 3 s: \\d pod\\(s\\) left: default/nginx-deployment-\\S+ \\(budget default/nginx-pdb\\)`,
      ),
    );
    assert.equal(blocked?.details.node, node);
    assert.deepEqual(blocked?.details.budgets, ['default/nginx-pdb']);
    const pods = blocked?.details.pods as { pod: string; reason: string; budget: string }[];
    assert.ok(pods.length > 0 && pods.every((p) => p.reason === 'budget' && p.budget === 'default/nginx-pdb'));
    assert.equal(arrived.slack[0]?.path, `/services/T0/B0/${SLACK_SECRET}`);
    assert.match(slackTexts()[0] ?? '', /^:warning: Drain blocked: k8s-upgrade-test v1\.11\.9 → v1\.12\.7: node /);
    assert.equal(jsonOf('drain-blocked').length, 1, 'one notification per block');

    // The webhook answering 500 got 'started' three times (its retries), and no more.
    await waitFor('three attempts at the failing webhook', () => arrived.failing.length >= 3);
    await new Promise((r) => setTimeout(r, 5_000));
    assert.deepEqual(arrived.failing.map(eventOf), ['started', 'started', 'started']);

    setBudget(1);
    await handle.signal('resume'); // retries the blocked drain
    const final = await resultWithin(handle);
    const ended = Date.now();
    const attemptsAtEnd = arrived.silent.length + arrived.failing.length;
    assert.equal(final.phase, 'completed');

    // The end was not held up by the webhooks that fail: the upgrade ended before their second attempts
    // (the notification goes out as the upgrade ends, and arrives just after).
    await waitFor('the completed notification', () => jsonOf('completed').length > 0);
    const completed = jsonOf('completed')[0];
    assert.equal(completed?.message, `${s.nodes.length} node(s) upgraded to v1.12.7`);
    assert.ok(
      attemptsAtEnd <= 3 + 2,
      `the failing webhooks had ${attemptsAtEnd - 3} attempts at 'completed' by the end`,
    );
    assert.ok((arrived.json.at(-1)?.at ?? 0) - ended < 5_000, 'told at once');
    assert.deepEqual(
      json().map((n) => n.event),
      ['started', 'drain-blocked', 'completed'],
    );
    assert.match(slackTexts().at(-1) ?? '', /^:white_check_mark: Upgrade completed: k8s-upgrade-test/);

    // The notification workflows go on without the upgrade: three attempts each within 30 s, then the
    // result names what was not delivered (by number and host, never by URL).
    await waitFor('the silent webhook tried three times', () => arrived.silent.length >= 3, 45_000);
    const children: NotifyResult[] = [];
    for await (const w of h.client.workflow.list({ query: `WorkflowType = "notifyWebhooks"` })) {
      if (w.workflowId.startsWith(`${id}/notify/`))
        children.push(await h.client.workflow.getHandle(w.workflowId).result());
    }
    const end = children.find((c) => c.event === 'completed');
    assert.deepEqual(end?.sent.length, 2);
    assert.deepEqual(end?.failed, [
      `webhook 3 (127.0.0.1:${PORTS.failing}, json) answered HTTP 500`,
      `webhook 4 (127.0.0.1:${PORTS.silent}, json): no answer within 8 s`,
    ]);
    assert.equal(children.length, 3, 'started, drain-blocked, completed');

    const text = await historiesText(h.client, id);
    assert.ok(text.includes('notifyWebhooks'), 'the scan reads the notification workflows');
    for (const secret of [TOKEN, SLACK_SECRET]) assert.ok(!text.includes(secret), `${secret} in workflow history`);
  });

  it('tells a wait for a maintenance window in its zone and in UTC, and an abort', async () => {
    const zone = 'Pacific/Auckland';
    const opens = DateTime.fromMillis(Math.ceil((Date.now() + 20_000) / 60_000) * 60_000, { zone });
    const spec = `daily ${opens.toFormat('HH:mm')}-${opens.plus({ minutes: 5 }).toFormat('HH:mm')} ${zone}`;
    const handle = await startUpgrade(h, { windows: [spec] });
    await waitFor('the window notification', () => jsonOf('waiting-for-window').length > 0);
    const waiting = jsonOf('waiting-for-window')[0];
    const utc = opens.setZone('UTC');
    assert.equal(
      waiting?.message,
      `waiting for maintenance window "${spec}" until ${opens.toFormat('yyyy-MM-dd HH:mm')} ${zone} (${utc.toFormat('yyyy-MM-dd HH:mm')} UTC)`,
    );
    assert.deepEqual(waiting?.details, {
      window: spec,
      zone,
      until: utc.toISO(),
      untilLocal: opens.toISO(),
    });
    await handle.signal('abort', { reason: 'notify e2e' });
    const final = await resultWithin(handle);
    assert.equal(final.phase, 'aborted');
    await waitFor('the abort notification', () => jsonOf('aborted').length > 0);
    assert.equal(jsonOf('aborted')[0]?.message, 'abort requested: notify e2e; 0 node(s) upgraded');
    // Each notification travels on its own: they may arrive out of order, their times say the order.
    const told = ['started', 'waiting-for-window', 'aborted'].map((e) => jsonOf(e));
    assert.deepEqual(
      told.map((n) => n.length),
      [1, 1, 1],
    );
    const times = told.map((n) => Date.parse(n[0]?.time ?? ''));
    assert.ok(times[0]! <= times[1]! && times[1]! <= times[2]!, `in order: ${times.join(', ')}`);
  });
});
