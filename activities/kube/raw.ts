/**
 * A plain GET to the API server through the cluster's KubeConfig (its credentials, TLS settings and
 * pooled connections, as the generated clients use them), for what those clients do not read: the
 * health endpoints' text and a Lease with the server's own clock. And the options that make a
 * generated client's call give up at a signal.
 */
import {
  type ConfigurationOptions,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  Observable,
  RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { Kube } from './client.js';

export interface RawAnswer {
  status: number;
  text: string;
  /** the API server's clock (its `Date` header), when it sent one */
  serverTime?: number;
}

const http = new IsomorphicFetchHttpLibrary();

/** GETs `path` (with its query) on the cluster's API server; gives up at `signal`. */
export async function apiGet(kube: Kube, path: string, signal: AbortSignal): Promise<RawAnswer> {
  const server = kube.config.getCurrentCluster()?.server;
  if (!server) throw new Error(`cluster ${kube.cluster}: its kubeconfig names no API server`);
  const request = new RequestContext(`${server.replace(/\/+$/, '')}${path}`, HttpMethod.GET);
  request.setSignal(signal);
  await kube.config.applySecurityAuthentication(request);
  const response = await http.send(request).toPromise();
  const date = response.headers.date ? Date.parse(response.headers.date) : NaN;
  return {
    status: response.httpStatusCode,
    text: await response.body.text(),
    serverTime: Number.isNaN(date) ? undefined : date,
  };
}

/** Options for a generated client's call (`kube.core.listNode({}, abortable(signal))`): it gives up at `signal`. */
export function abortable(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(signal);
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
