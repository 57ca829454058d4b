/**
 * Secure connections: a worker and a client connect with a client certificate (mTLS) through a
 * TLS-terminating proxy in front of the dev server, using the same settings users give in production
 * (TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY), and run `rollingUpgrade`'s validation.
 * Without the client certificate the connection is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { connectClient, connectWorker, temporalSettings } from '../../config/temporal.js';
import { createWorker, quietRuntime } from '../../worker/worker.js';
import { makePki, startTlsProxy } from '../support/tls-proxy.js';
import { temporalAddress, uniqueQueue } from '../support/temporal.js';

process.env.K8S_RU_CATALOGUE = fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url));
process.env.K8S_RU_STATE_DIR = mkdtempSync(join(tmpdir(), 'k8s-ru-tls-'));
process.env.K8S_RU_KUBECONFIG = '/nonexistent/kubeconfig'; // stop after validation, at the cluster
const pki = makePki();
let proxy: Awaited<ReturnType<typeof startTlsProxy>>;

before(async () => {
  quietRuntime('WARN');
  proxy = await startTlsProxy(pki, temporalAddress());
});
after(async () => await proxy.close());

describe('TLS to Temporal', () => {
  it('runs a workflow with worker and client connected by mTLS', async () => {
    const settings = temporalSettings({
      address: proxy.address,
      tlsCa: pki.ca,
      tlsCert: pki.clientCert,
      tlsKey: pki.clientKey,
    });
    const taskQueue = uniqueQueue('tls');
    const workerConnection = await connectWorker(settings);
    const worker = await createWorker(workerConnection, settings.namespace, taskQueue);
    const connection = await connectClient(settings);
    try {
      const client = new Client({ connection, namespace: settings.namespace });
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
  });

  it('refuses a client without a certificate', async () => {
    await assert.rejects(
      connectClient(temporalSettings({ address: proxy.address, tlsCa: pki.ca })),
      /cannot connect to Temporal/,
    );
  });

  it('refuses a certificate without its key, naming both settings', async () => {
    await assert.rejects(
      connectClient(temporalSettings({ address: proxy.address, tlsCa: pki.ca, tlsCert: pki.clientCert })),
      /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/,
    );
  });
});
