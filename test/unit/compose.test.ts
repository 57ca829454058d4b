/**
 * docker-compose.temporal.yml cannot run here (no Docker engine): its wiring is checked instead, and
 * that it runs what scripts/temporal-cluster.sh runs and `npm run test:production` tests: the server
 * release, PostgreSQL's major version, the stores' plugin, the history shards, the namespace's
 * retention, the dynamic config and the search attributes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../model/search.js';

interface Service {
  image: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: unknown;
}
const file = fileURLToPath(new URL('../../docker-compose.temporal.yml', import.meta.url));
const compose = parse(readFileSync(file, 'utf8')) as { services: Record<string, Service>; volumes: object };
const s = compose.services;
const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const clusterScript = read('scripts/temporal-cluster.sh');
/** A value the script sets, e.g. TEMPORAL_SERVER_VERSION=v1.29.1. */
function scriptSetting(name: string): string {
  const m = new RegExp(`^${name}=(.+)$`, 'm').exec(clusterScript);
  assert.ok(m?.[1], `scripts/temporal-cluster.sh sets ${name}`);
  return m[1];
}

describe('docker-compose.temporal.yml', () => {
  it('pins every image to an exact tag', () => {
    for (const [name, svc] of Object.entries(s)) {
      assert.match(svc.image, /^[\w./-]+:\d[\w.-]*$/, `${name} image ${svc.image} must be pinned`);
    }
  });
  it('runs the server on PostgreSQL once it is healthy', () => {
    assert.ok(s.postgresql?.healthcheck);
    assert.deepEqual(s.temporal?.depends_on, { postgresql: { condition: 'service_healthy' } });
    const env = s.temporal?.environment ?? {};
    assert.equal(env.DB, 'postgres12');
    assert.equal(env.POSTGRES_SEEDS, 'postgresql');
    assert.equal(env.POSTGRES_USER, s.postgresql?.environment?.POSTGRES_USER);
    assert.equal(env.POSTGRES_PWD, s.postgresql?.environment?.POSTGRES_PASSWORD);
  });
  it('publishes the frontend and the UI on loopback', () => {
    assert.deepEqual(s.temporal?.ports, ['127.0.0.1:7233:7233']);
    assert.deepEqual(s['temporal-ui']?.ports, ['127.0.0.1:8080:8080']);
  });
  it('points the UI and admin tools at the server, after it is healthy', () => {
    for (const name of ['temporal-ui', 'temporal-admin-tools', 'temporal-setup']) {
      assert.equal(s[name]?.environment?.TEMPORAL_ADDRESS, 'temporal:7233', name);
      assert.deepEqual(s[name]?.depends_on, { temporal: { condition: 'service_healthy' } }, name);
    }
  });
  it('registers the search attributes the workflow sets', () => {
    const setup = JSON.stringify(s['temporal-setup']);
    for (const sa of ['UpgradeCluster', 'UpgradeTargetVersion', 'UpgradePhase']) assert.ok(setup.includes(sa), sa);
  });
  it('gives the server the dynamic configuration the dev server runs with (eager activities)', () => {
    const path = s.temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH;
    assert.ok(path, 'DYNAMIC_CONFIG_FILE_PATH is set');
    const mount = (s.temporal?.volumes ?? []).find((v) => v.split(':')[1] === path);
    assert.ok(mount, `a volume is mounted at ${path}`);
    const source = fileURLToPath(new URL(`../../${mount.split(':')[0]}`, import.meta.url));
    const config = parse(readFileSync(source, 'utf8')) as Record<string, { value: unknown }[]>;
    assert.deepEqual(config['system.enableActivityEagerExecution'], [{ value: true }]);
    const devServer = readFileSync(fileURLToPath(new URL('../../scripts/temporal-server.sh', import.meta.url)), 'utf8');
    assert.match(devServer, /--dynamic-config-value system\.enableActivityEagerExecution=true/);
  });
  it('runs the server release, PostgreSQL version and store plugin tested here', () => {
    const version = scriptSetting('TEMPORAL_SERVER_VERSION').replace(/^v/, '');
    assert.equal(s.temporal?.image, `temporalio/auto-setup:${version}`);
    for (const name of ['temporal-setup', 'temporal-admin-tools']) {
      assert.match(
        s[name]?.image ?? '',
        new RegExp(`^temporalio/admin-tools:${version.replaceAll('.', '\\.')}-`),
        name,
      );
    }
    // scripts/temporal-cluster.sh installs Debian 12's PostgreSQL: 15.
    assert.match(clusterScript, /apt-get .*install .*postgresql/);
    assert.match(s.postgresql?.image ?? '', /^postgres:15\./);
    const serverConfig = parse(read('deploy/temporal-server.yaml')) as {
      persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string } }> };
    };
    for (const [store, { sql }] of Object.entries(serverConfig.persistence.datastores)) {
      assert.equal(sql.pluginName, s.temporal?.environment?.DB, store);
    }
    assert.equal(s.temporal?.environment?.NUM_HISTORY_SHARDS, String(serverConfig.persistence.numHistoryShards));
  });
  it("creates the default namespace with the tested namespace's retention", () => {
    const retention = /namespace create .*--retention (\S+)/.exec(clusterScript)?.[1];
    assert.ok(retention, 'scripts/temporal-cluster.sh creates the namespace with a retention');
    assert.equal(s.temporal?.environment?.DEFAULT_NAMESPACE, 'default');
    assert.equal(s.temporal?.environment?.DEFAULT_NAMESPACE_RETENTION, retention);
  });
  it('registers exactly the search attributes the workflow sets and the tested servers have, in one request', () => {
    const wanted = SEARCH_ATTRIBUTES.map((k) => k.name).sort();
    const setup = String((s['temporal-setup'] as { command?: string[] }).command?.[0]);
    const creates = setup.match(/search-attribute create/g) ?? [];
    assert.equal(creates.length, 1, 'one create request (separate ones can overwrite each other)');
    const created = [...setup.split('||')[0]!.matchAll(/--name (\w+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(created, wanted);
    const tested = /^SEARCH_ATTRIBUTES=\(([^)]*)\)/m.exec(clusterScript)?.[1]?.split(/\s+/).sort();
    assert.deepEqual(tested, wanted, 'scripts/temporal-cluster.sh registers the same ones');
  });
  it('gives the server the same dynamic config file as the tested servers', () => {
    const path = s.temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH;
    const mount = (s.temporal?.volumes ?? []).find((v) => v.split(':')[1] === path);
    assert.equal(mount?.split(':')[0], './deploy/temporal-dynamicconfig.yaml');
    assert.match(clusterScript, /TEMPORAL_DYNAMIC_CONFIG=\$ROOT\/deploy\/temporal-dynamicconfig\.yaml/);
  });
  it('keeps the database on a named volume', () => {
    assert.ok('temporal-postgresql' in compose.volumes);
  });
});
