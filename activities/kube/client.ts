/**
 * API clients for the catalogue's clusters, built on the worker from each cluster's kubeconfig (never
 * from workflow input), and the classification of API errors into the project's failures.
 */
import { statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { ClusterUnreachableError, Failure, ForbiddenError } from '../../model/errors.js';
import type { Catalogue } from '../../model/catalogue.js';
import { findCluster } from '../catalogue/load.js';

export interface Kube {
  cluster: string;
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose API calls share one keep-alive connection pool. client-node 1.x makes a new
 * agent, so a new TLS connection, for every request (bench/drain.ts measures what that costs a drain).
 * Proxy agents are left as the library makes them.
 */
class PooledKubeConfig extends KubeConfig {
  private pool?: http.Agent;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!made || (made.constructor !== https.Agent && made.constructor !== http.Agent)) return;
    if (!this.pool) {
      const options = { ...(made as http.Agent & { options: https.AgentOptions }).options, keepAlive: true };
      this.pool = made instanceof https.Agent ? new https.Agent(options) : new http.Agent(options);
    }
    made.destroy();
    context.setAgent(this.pool);
  }

  close(): void {
    this.pool?.destroy();
    this.pool = undefined;
  }
}

/** API clients by cluster name, and a way to close their connections. */
export interface KubeClients {
  kube(cluster: string): Kube;
  close(): void;
}

/**
 * Clients for the catalogue's clusters (by the name or uuid asked for), built from each one's
 * kubeconfig and kept while the catalogue names the same file and context and the file is unchanged.
 * A rewritten kubeconfig (a mounted Secret updated, a refreshed token) gets new clients for new calls,
 * while calls already made finish on the old connections, which close with the worker. A cluster that
 * leaves the catalogue while its clients exist keeps them: an upgrade under way must still be able to
 * put its nodes back.
 */
export function kubeClients(catalogue: () => Catalogue): KubeClients {
  const cache = new Map<string, { key: string; kube: Kube }>();
  const retired: PooledKubeConfig[] = [];
  return {
    kube(clusterName) {
      let cluster: ReturnType<typeof findCluster>;
      try {
        cluster = findCluster(catalogue(), clusterName);
      } catch (err) {
        const kept = cache.get(clusterName);
        if (!kept) throw err;
        console.warn(`cluster ${clusterName}: ${(err as Error).message}; going on with the clients it had`);
        return kept.kube;
      }
      let changed: number;
      try {
        changed = statSync(cluster.kubeconfig).mtimeMs;
      } catch {
        throw new ClusterUnreachableError(cluster.name, `its kubeconfig ${cluster.kubeconfig} does not exist`, true);
      }
      const key = `${cluster.kubeconfig}\0${cluster.context ?? ''}\0${changed}`;
      const hit = cache.get(clusterName);
      if (hit?.key === key) return hit.kube;
      if (hit) retired.push(hit.kube.config as PooledKubeConfig);
      const config = new PooledKubeConfig();
      config.loadFromFile(cluster.kubeconfig);
      if (cluster.context) config.setCurrentContext(cluster.context);
      const kube: Kube = {
        cluster: cluster.name,
        config,
        core: config.makeApiClient(CoreV1Api),
        apps: config.makeApiClient(AppsV1Api),
        policy: config.makeApiClient(PolicyV1Api),
      };
      cache.set(clusterName, { key, kube });
      return kube;
    },
    close() {
      for (const { kube } of cache.values()) (kube.config as PooledKubeConfig).close();
      for (const config of retired.splice(0)) config.close();
      cache.clear();
    },
  };
}

export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The `message` of a Kubernetes Status body, else the error's own message. No credentials are in either. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body = typeof err.body === 'string' ? (JSON.parse(err.body) as { message?: string }) : err.body;
      if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
        return body.message;
    } catch {
      // not JSON
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns an API error into the project's failure: 403 → Forbidden (non-retryable: the role must change),
 * no answer → ClusterUnreachable (retryable), other 4xx → non-retryable, 5xx → retryable.
 */
export function classify(err: unknown, kube: Kube, verb: string, resource: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const code = statusCode(err);
  if (code === 403) return new ForbiddenError(verb, resource, apiMessage(err));
  if (code === undefined) return new ClusterUnreachableError(kube.cluster, apiMessage(err));
  // A node that went away (an autoscaler, an operator) is not an API failure: the upgrade reports it gone.
  if (code === 404 && resource.startsWith('node '))
    return ApplicationFailure.nonRetryable(`${resource} does not exist any more`, Failure.NodeNotFound);
  const message = `${verb} ${resource} failed (HTTP ${code}): ${apiMessage(err)}`;
  return code >= 500 || code === 429
    ? ApplicationFailure.retryable(message, Failure.KubeApiError)
    : ApplicationFailure.nonRetryable(message, Failure.KubeApiError);
}

/** Runs one API call, classifying its failure. */
export async function call<T>(kube: Kube, verb: string, resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classify(err, kube, verb, resource);
  }
}
