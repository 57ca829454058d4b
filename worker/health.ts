/**
 * The worker's health checks for an orchestrator's probes (`--health-port`), plain HTTP on every
 * interface of the pod:
 *   GET /healthz  200 while the process is up, draining after SIGTERM included: a liveness probe must
 *                 not kill a worker that is finishing a node replacement in its shutdown grace
 *   GET /readyz   200 only while the worker polls its task queue (state RUNNING); 503 while it
 *                 connects, and once it stops taking tasks (draining, stopped)
 * Each answer is one line naming the worker's state.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { State } from '@temporalio/worker';
import { InvalidArgumentError } from 'commander';

export interface HealthServer {
  /** the port it listens on */
  port: number;
  /** From now on the answers follow this worker's state (before it, the worker is starting). */
  follow(worker: { getState(): State }): void;
  close(): Promise<void>;
}

/** `--health-port`'s parser: a TCP port number. */
export function healthPort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`the health port is a port number from 1 to 65535, not "${value}"`);
  }
  return port;
}

/** What each path answers, given the worker's state (undefined: not created yet). */
export function healthAnswer(path: string, state: State | undefined): { status: number; body: string } {
  const shown = state ?? 'STARTING';
  if (path === '/healthz') return { status: 200, body: `alive: ${shown}` };
  if (path === '/readyz') {
    return state === 'RUNNING'
      ? { status: 200, body: 'ready: polling (RUNNING)' }
      : { status: 503, body: `not ready: not polling (${shown})` };
  }
  return { status: 404, body: 'not found: the health checks are /healthz and /readyz' };
}

export async function serveHealth(port: number): Promise<HealthServer> {
  let worker: { getState(): State } | undefined;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    const answer =
      req.method === 'GET' || req.method === 'HEAD'
        ? healthAnswer(path, worker?.getState())
        : { status: 405, body: 'method not allowed: GET or HEAD' };
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${answer.body}\n`);
  });
  server.listen(port);
  try {
    await once(server, 'listening');
  } catch (err) {
    throw new Error(`cannot serve the health checks on port ${port}: ${(err as Error).message}`);
  }
  server.unref();
  return {
    port,
    follow: (w) => (worker = w),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
