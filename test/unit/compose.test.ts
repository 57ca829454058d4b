/** docker-compose.temporal.yml cannot run here (no Docker engine): its wiring is checked instead. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

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
  it('keeps the database on a named volume', () => {
    assert.ok('temporal-postgresql' in compose.volumes);
  });
});
