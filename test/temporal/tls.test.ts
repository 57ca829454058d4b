/**
 * Secure connections: a worker and a client connect with a client certificate (mTLS) through a
 * TLS-terminating proxy in front of the dev server, using the same settings users give in production
 * (TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, read by
 * envconfig), and run `rollingUpgrade`'s validation. The older names still connect, with a warning each.
 * Without the client certificate the connection is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { workerDeps } from '../../activities/deps.js';
import { connectClient, connectWorker, type TemporalSettings, temporalSettings } from '../../config/temporal.js';
import { createWorker, quietRuntime } from '../../worker/worker.js';
import { makePki, startTlsProxy } from '../support/tls-proxy.js';
import { forgetEntities } from '../support/cluster-entity.js';
import { temporalAddress, uniqueQueue } from '../support/temporal.js';

const deps = workerDeps({
  catalogue: fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url)),
  stateDir: mkdtempSync(join(tmpdir(), 'k8s-ru-tls-')),
});
process.env.K8S_RU_KUBECONFIG = '/nonexistent/kubeconfig'; // stop after validation, at the cluster
const pki = makePki();
let proxy: Awaited<ReturnType<typeof startTlsProxy>>;

before(async () => {
  quietRuntime('WARN');
  proxy = await startTlsProxy(pki, temporalAddress());
});
after(async () => {
  deps.close();
  await proxy.close();
});

describe('TLS to Temporal', () => {
  it('runs a workflow with worker and client connected by mTLS', async () => {
    await runsOverTls(
      temporalSettings(
        {},
        {
          TEMPORAL_ADDRESS: proxy.address,
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca,
          TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
          TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
        },
      ),
    );
  });

  it('still connects with the older variable names, warning about each', async () => {
    const warnings: string[] = [];
    const settings = temporalSettings(
      {},
      {
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS_CA: pki.ca,
        TEMPORAL_TLS_CERT: pki.clientCert,
        TEMPORAL_TLS_KEY: pki.clientKey,
      },
      (m) => warnings.push(m),
    );
    assert.deepEqual(warnings, [
      'TEMPORAL_TLS_CA is deprecated and will be removed in the next release: set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead',
      'TEMPORAL_TLS_CERT is deprecated and will be removed in the next release: set TEMPORAL_TLS_CLIENT_CERT_PATH instead',
      'TEMPORAL_TLS_KEY is deprecated and will be removed in the next release: set TEMPORAL_TLS_CLIENT_KEY_PATH instead',
    ]);
    await runsOverTls(settings);
  });

  async function runsOverTls(settings: TemporalSettings) {
    const taskQueue = uniqueQueue('tls');
    const workerConnection = await connectWorker(settings);
    const worker = await createWorker({ connection: workerConnection, namespace: settings.namespace, taskQueue, deps });
    const connection = await connectClient(settings);
    try {
      const client = new Client({ connection, namespace: settings.namespace });
      await forgetEntities(client, ['k8s-upgrade-test']); // its record starts on this test's queue
      const result = await worker.runUntil(
        client.workflow
          .execute('rollingUpgrade', {
            taskQueue,
            workflowId: uniqueQueue('tls-validate'),
            args: [
              { cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403', drainTimeoutSeconds: 1 },
            ],
            workflowExecutionTimeout: '1 minute',
          })
          .catch((err: Error) => err),
      );
      // Validation passed and the run reached the cluster step (whose kubeconfig is absent here): the
      // whole exchange went through the TLS connections.
      assert.ok(result instanceof Error);
      const cause = (result as Error & { cause?: Error & { cause?: Error } }).cause;
      assert.match(
        cause?.cause?.message ?? '',
        /cannot reach the API server of cluster k8s-upgrade-test: its kubeconfig/,
      );
    } finally {
      await connection.close();
      await workerConnection.close();
    }
  }

  it('refuses a client without a certificate', async () => {
    await assert.rejects(
      connectClient(temporalSettings({ address: proxy.address, tlsCaPath: pki.ca }, {})),
      /cannot connect to Temporal/,
    );
  });

  it('refuses a certificate without its key, naming both settings', async () => {
    await assert.rejects(
      async () =>
        connectClient(temporalSettings({ address: proxy.address, tlsCaPath: pki.ca, tlsCertPath: pki.clientCert }, {})),
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
  });
});
