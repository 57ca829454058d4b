/**
 * Test access to the real Temporal dev server that scripts/test.sh started (scripts/temporal-server.sh):
 * a TestWorkflowEnvironment on it and a real worker on a task queue of the test's own.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createWorker, quietRuntime } from '../../worker/worker.js';

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test` (it starts the Temporal dev server)');
  }
  return address;
}

export async function devServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime('WARN');
  return await TestWorkflowEnvironment.createFromExistingServer({
    address: temporalAddress(),
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
}

export function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function testWorker(env: TestWorkflowEnvironment, taskQueue: string): Promise<Worker> {
  return await createWorker(env.nativeConnection, env.namespace ?? 'default', taskQueue);
}
