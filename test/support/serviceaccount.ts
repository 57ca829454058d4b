/**
 * Kubeconfigs bound to a ServiceAccount of the local cluster (a real token from the TokenRequest API),
 * so tests run the worker with exactly the shipped RBAC role instead of the admin certificate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { type ClusterOptions, kubeconfigPath, kubectl } from '../../localcluster/cluster.js';

export const RBAC = fileURLToPath(new URL('../../deploy/rbac.yaml', import.meta.url));

/** Applies a role file and writes a kubeconfig for `account` (namespace kube-system); returns its path and token. */
export function serviceAccountKubeconfig(
  o: ClusterOptions,
  account: string,
  roleFile: string,
  dir: string,
): { path: string; token: string } {
  kubectl(o, ['apply', '-f', roleFile]);
  const token = kubectl(o, ['create', 'token', account, '-n', 'kube-system', '--duration=2h']).trim();
  const admin = parse(readFileSync(kubeconfigPath(o), 'utf8')) as {
    clusters: {
      cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string };
    }[];
  };
  const cluster = admin.clusters[0]?.cluster;
  if (!cluster) throw new Error('the admin kubeconfig has no cluster');
  const ca =
    cluster['certificate-authority-data'] ??
    Buffer.from(readFileSync(cluster['certificate-authority'] ?? '')).toString('base64');
  const path = join(dir, `${account}.kubeconfig`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
      users: [{ name: account, user: { token } }],
      contexts: [{ name: account, context: { cluster: 'local', user: account } }],
      'current-context': account,
    }),
  );
  return { path, token };
}

/** The shipped role with one rule's verb removed, under other names (to prove a missing permission is reported). */
export function roleWithout(resource: string, verb: string, dir: string): string {
  const docs = readFileSync(RBAC, 'utf8')
    .split(/^---$/m)
    .map(
      (d) =>
        parse(d) as Record<string, unknown> & {
          kind: string;
          metadata: { name: string };
          rules?: { resources?: string[]; verbs: string[] }[];
          roleRef?: { name: string };
          subjects?: { name: string }[];
        },
    );
  for (const d of docs) {
    d.metadata.name = `${d.metadata.name}-limited`;
    if (d.rules) {
      for (const r of d.rules) if (r.resources?.includes(resource)) r.verbs = r.verbs.filter((v) => v !== verb);
      d.rules = d.rules.filter((r) => r.verbs.length > 0); // a rule needs at least one verb
    }
    if (d.roleRef) d.roleRef.name = `${d.roleRef.name}-limited`;
    if (d.subjects) for (const s of d.subjects) s.name = `${s.name}-limited`;
  }
  const path = join(dir, 'rbac-limited.yaml');
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
  return path;
}
