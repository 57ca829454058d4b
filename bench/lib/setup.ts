/**
 * Where a benchmark runs: its folders under $K8S_RU_BENCH_RUN (default <repo>/.run/bench), its ports
 * (BENCH_TEMPORAL_PORT, BENCH_APISERVER_PORT; else each bench's own defaults, different per bench so
 * that two benches can run at once), the Temporal dev server it starts, the local cluster's options,
 * and the settings the activities read (the test catalogue, the cluster's kubeconfig, a state folder).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterOptions, clusterOptions, kubeconfigPath } from '../../localcluster/cluster.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The catalogue's name of the local cluster (test/fixtures/catalogue.yaml). */
export const CLUSTER = 'k8s-upgrade-test';
export const TEMPLATE = 'kubernetes-v1.12.7-prod-20190403';
export const FROM = 'v1.11.9';
export const TO = 'v1.12.7';

/** A folder of this bench run: $K8S_RU_BENCH_RUN/<name>. */
export const runPath = (name: string) => join(process.env.K8S_RU_BENCH_RUN || join(ROOT, '.run/bench'), name);

export function port(variable: string, fallback: number): number {
  const value = process.env[variable];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${variable} must be a port number (1 to 65535), got "${value}"`);
  }
  return n;
}

/** A positive whole number from the command line (argv[2 + index]), or its default. */
export function countArg(index: number, fallback: number, min: number, usage: string): number {
  const raw = process.argv[2 + index];
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < min) {
    console.error(`"${raw}" is not a whole number ≥ ${min}\n${usage}`);
    process.exit(2);
  }
  return n;
}

export interface TemporalServer {
  address: string;
  /** the server's pid, once started */
  pid(): number;
  /** `fresh`: an empty history store, so that only this run's workflows are listed */
  start(options?: { fresh?: boolean }): void;
  stop(): void;
}

/** The Temporal dev server (scripts/temporal-server.sh) in $K8S_RU_BENCH_RUN/<name>, without its UI. */
export function temporalServer(name: string, defaultPort: number): TemporalServer {
  const dir = runPath(name);
  const p = port('BENCH_TEMPORAL_PORT', defaultPort);
  const script = (action: 'start' | 'stop') =>
    execFileSync('bash', [join(ROOT, 'scripts/temporal-server.sh'), action, dir], {
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_PORT: String(p), TEMPORAL_UI_PORT: '0' },
    });
  return {
    address: `127.0.0.1:${p}`,
    pid: () => Number(readFileSync(join(dir, 'pid'), 'utf8').trim()),
    start: (options = {}) => {
      if (options.fresh) rmSync(dir, { recursive: true, force: true });
      script('start');
    },
    stop: () => script('stop'),
  };
}

/** The local cluster's options, in $K8S_RU_BENCH_RUN/<name> (ports from the apiserver's upward). */
export function benchCluster(
  name: string,
  defaultApiserverPort: number,
  options: Partial<ClusterOptions> = {},
): ClusterOptions {
  return clusterOptions({
    ...options,
    dir: runPath(name),
    apiserverPort: port('BENCH_APISERVER_PORT', defaultApiserverPort),
  });
}

export interface ActivitySettings {
  /** the catalogue, whose local cluster entry reads its kubeconfig from $K8S_RU_KUBECONFIG */
  catalogue: string;
  /** a state folder of this run's own (cluster records) */
  stateDir: string;
  /** the same, for a worker process's environment */
  env: Record<string, string>;
  /** removes the state folder */
  remove(): void;
}

/** The test catalogue (replacement 1 s) and the shipped one the demo upgrades with (replacement 2 s). */
export const TEST_CATALOGUE = join(ROOT, 'test/fixtures/catalogue.yaml');
export const SHIPPED_CATALOGUE = join(ROOT, 'catalogue/catalogue.yaml');

/**
 * What the activities, run in this process or by a worker it starts, need to reach the cluster: a
 * catalogue (the test one unless told; its local cluster entry is pointed at the cluster's kubeconfig)
 * and a state folder of their own.
 */
export function activitySettings(cluster: ClusterOptions, catalogue = TEST_CATALOGUE): ActivitySettings {
  const stateDir = mkdtempSync(join(tmpdir(), 'k8s-ru-bench-'));
  const kubeconfig = kubeconfigPath(cluster);
  process.env.K8S_RU_KUBECONFIG = kubeconfig; // read when the catalogue is loaded
  return {
    catalogue,
    stateDir,
    env: { K8S_RU_CATALOGUE: catalogue, K8S_RU_STATE_DIR: stateDir, K8S_RU_KUBECONFIG: kubeconfig },
    remove: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}
