/**
 * The Temporal Web UI served by the dev server, driven by a real browser (Playwright with Debian's
 * Chromium, headless; nothing downloaded): find the running upgrade by its search attribute, read its
 * summary and current details, send `pause` from the UI and see it pause, then `resume`.
 * Screenshots are kept in $K8S_RU_TEST_RUN/artifacts/web-ui (default .run/test/artifacts/web-ui).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startUpgrade } from '../../client/upgrades.js';
import { closeHarness, CLUSTER, freshCluster, harness, type Harness, TARGET, until } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = join(process.env.K8S_RU_TEST_RUN ?? join(root, '.run/test'), 'artifacts/web-ui');
const uiPort = process.env.TEMPORAL_UI_PORT;
const ui = `http://127.0.0.1:${uiPort}`;

let h: Harness;
let browser: Browser;
let page: Page;
before(async () => {
  assert.ok(uiPort && uiPort !== '0', 'the dev server must serve its UI: run with `npm test` (TEMPORAL_UI_PORT)');
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const executablePath = execFileSync('bash', [join(root, 'scripts/chromium.sh')], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  h = await harness();
  await freshCluster();
});
after(async () => {
  await browser?.close();
  await closeHarness(h);
});

const shot = async (name: string) => await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

/**
 * The workflow page's User Metadata tab: the static summary and the current details the workflow sets
 * (the UI renders each markdown block in its own sandboxed frame), read until `ok` holds.
 */
async function metadata(
  workflowId: string,
  ok: (current: string) => boolean = () => true,
): Promise<{ summary: string; current: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(`${ui}/namespaces/default/workflows/${workflowId}`);
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await page.waitForURL(/\/user-metadata$/);
    let texts: string[] = [];
    for (let i = 0; i < 20 && !texts.some((t) => t.includes('nodes done')); i++) {
      await page.waitForTimeout(250);
      texts = await Promise.all(
        page.frames().map(
          async (f) =>
            await f
              .locator('body')
              .innerText()
              .catch(() => ''),
        ),
      );
    }
    const summary = texts.find((t) => t.startsWith('Upgrade ')) ?? '';
    const current = texts.find((t) => t.includes('nodes done')) ?? '';
    if (ok(current) || Date.now() > deadline) return { summary, current };
  }
}

/** More Actions → Send a Signal: pick the signal from the list the workflow publishes, type its JSON input. */
async function signalFromUi(name: string, input?: string): Promise<string[]> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
  await dialog.getByTestId('signal-select-button').click();
  // The list fills in once the UI has the workflow's metadata (a query the worker answers): wait for it.
  const option = dialog.getByRole('option', { name: new RegExp(`^${name}\\b`) });
  await option.waitFor({ timeout: 30_000 });
  let offered: string[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(200)) {
    offered = await dialog.getByRole('option').allInnerTexts();
    if (offered.length > 1 && offered.every((o) => /\S\s+\S/.test(o))) break; // names with their descriptions
  }
  await option.click();
  if (input) {
    await dialog.locator('[contenteditable="true"]').click();
    await page.keyboard.insertText(input);
  }
  await dialog.getByTestId('confirm-modal-button').click();
  await dialog.waitFor({ state: 'hidden' });
  return offered;
}

describe('the Temporal Web UI of the dev server', () => {
  it('finds the running upgrade, shows its details, and pauses and resumes it', async () => {
    const handle = await startUpgrade(h.client, { cluster: CLUSTER, template: TARGET, soakSeconds: 3 }, h.taskQueue);
    await until(handle, 'the upgrade to start on its nodes', (s) => s.phase === 'upgrading' && s.current.length > 0);

    // The list, filtered by the search attribute the workflow keeps.
    const query = encodeURIComponent(`UpgradeCluster="${CLUSTER}" AND TaskQueue="${h.taskQueue}"`);
    await page.goto(`${ui}/namespaces/default/workflows?query=${query}`);
    const row = page.getByRole('link', { name: handle.workflowId, exact: true }).first();
    await row.waitFor({ timeout: 30_000 });
    await shot('1-list-by-search-attribute');
    await row.click();
    await page.waitForURL(new RegExp(`/workflows/${handle.workflowId}/`));

    // Static summary (cluster, from → to) and current details (node k of n, step).
    const running = await metadata(handle.workflowId, (c) => /node \d of 6/.test(c));
    await shot('2-current-details');
    assert.match(
      running.summary,
      /Upgrade k8s-upgrade-test to kubernetes-v1\.12\.7-prod-20190403 \(v1\.11\.9 → v1\.12\.7\)/,
    );
    assert.match(running.current, /k8s-upgrade-test: v1\.11\.9 → v1\.12\.7 — phase upgrading/);
    assert.match(
      running.current,
      /node \d of 6 k8s-upgrade-test-zcuuaiib6nqt-\w+-\d: (cordon|drain|replace|wait-ready|uncordon|smoke|gate)/,
    );

    // Pause from the UI: the signal list carries each signal's description.
    const offered = await signalFromUi('pause', '{"reason":"from the web UI"}');
    assert.ok(
      offered.some((o) => /pause\s+Pause before the next node/.test(o)),
      offered.join(' | '),
    );
    assert.ok(offered.some((o) => /abort\s+Abort at the next safe point/.test(o)));
    const paused = await until(handle, 'the pause sent from the UI', (s) => s.phase === 'paused');
    assert.equal(paused.pausedReason, 'paused by the operator: from the web UI');
    const shown = await metadata(handle.workflowId, (c) => /phase paused/.test(c));
    assert.match(shown.current, /phase paused \(paused by the operator: from the web UI\)/);
    await shot('3-paused');

    // The blocked-drain decisions are offered as updates, with their descriptions; the workflow's
    // validator answers in the dialog (no node is blocked now).
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menuitem', { name: 'Send an Update' }).click();
    const updateDialog = page.getByRole('dialog', { name: 'Send an Update' });
    await updateDialog.getByTestId('update-select-button').click();
    await updateDialog.getByRole('option', { name: /^skipNode\b/ }).waitFor({ timeout: 30_000 });
    const updates = await updateDialog.getByRole('option').allInnerTexts();
    for (const u of ['retryDrain', 'forceDrain', 'skipNode']) {
      assert.ok(
        updates.some((o) => o.startsWith(u)),
        `${u} in ${updates.join(' | ')}`,
      );
    }
    await updateDialog.getByRole('option', { name: /^skipNode\b/ }).click();
    await updateDialog.locator('[contenteditable="true"]').click();
    await page.keyboard.insertText('{"node":"k8s-upgrade-test-zcuuaiib6nqt-minion-0"}');
    await updateDialog.getByTestId('confirm-modal-button').click();
    const refusal = updateDialog.getByRole('alert');
    await refusal.filter({ hasText: /not blocked/ }).waitFor();
    assert.match(await refusal.innerText(), /node k8s-upgrade-test-zcuuaiib6nqt-minion-0 is not blocked/);
    await shot('4-update-refused');
    await updateDialog.getByRole('button', { name: 'Cancel' }).last().click();
    await updateDialog.waitFor({ state: 'hidden' });

    await signalFromUi('resume');
    const resumed = await until(handle, 'the resume sent from the UI', (s) => s.phase !== 'paused');
    assert.notEqual(resumed.phase, 'failed');
    await shot('5-resumed');

    await handle.signal('abort', { reason: 'web UI test done' });
    await handle.result();
  });
});
