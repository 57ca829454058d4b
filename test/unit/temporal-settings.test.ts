/**
 * The Temporal connection settings: a TOML profile, TEMPORAL_* variables over it and flags over both
 * (envconfig's order, as the `temporal` CLI reads them); the older variable names still work, each with
 * a warning; a half-given client certificate is refused naming both settings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectionOptions } from '../../config/flags.js';
import { temporalSettings } from '../../config/temporal.js';

const dir = mkdtempSync(join(tmpdir(), 'k8s-ru-settings-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const config = file(
  'temporal.toml',
  [
    '[profile.default]',
    'address = "default.example:7233"',
    '[profile.prod]',
    'address = "prod.example:7233"',
    'namespace = "upgrades"',
    'api_key = "from-profile"',
  ].join('\n'),
);
const silent = () => undefined;

describe('temporalSettings', () => {
  it('defaults to the local dev server and the default namespace', () => {
    const s = temporalSettings({}, {}, silent);
    assert.equal(s.address, '127.0.0.1:7233');
    assert.equal(s.namespace, 'default');
    assert.equal(s.connection.tls, undefined);
  });

  it('reads the profile named by TEMPORAL_PROFILE from TEMPORAL_CONFIG_FILE (an API key implies TLS)', () => {
    const s = temporalSettings({}, { TEMPORAL_CONFIG_FILE: config, TEMPORAL_PROFILE: 'prod' }, silent);
    assert.equal(s.address, 'prod.example:7233');
    assert.equal(s.namespace, 'upgrades');
    assert.equal(s.connection.apiKey, 'from-profile');
    assert.equal(s.connection.tls, true);
  });

  it('lets variables win over the profile, and flags over both', () => {
    const env = { TEMPORAL_CONFIG_FILE: config, TEMPORAL_ADDRESS: 'env.example:7233', TEMPORAL_NAMESPACE: 'env-ns' };
    assert.equal(temporalSettings({}, env, silent).address, 'env.example:7233');
    const s = temporalSettings({ address: 'flag.example:7233', profile: 'prod' }, env, silent);
    assert.equal(s.address, 'flag.example:7233');
    assert.equal(s.namespace, 'env-ns');
    assert.equal(s.connection.apiKey, 'from-profile');
  });

  it('refuses a profile that does not exist, naming it', () => {
    assert.throws(
      () => temporalSettings({ profile: 'staging' }, { TEMPORAL_CONFIG_FILE: config }, silent),
      /cannot load the Temporal connection settings: Profile 'staging' not found/,
    );
  });

  it('takes the older TLS variable names, warning with the new name of each', () => {
    const ca = file('ca.pem', 'CA');
    const cert = file('cert.pem', 'CERT');
    const key = file('key.pem', 'KEY');
    const warnings: string[] = [];
    const s = temporalSettings({}, { TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key }, (m) =>
      warnings.push(m),
    );
    assert.deepEqual(warnings, [
      'TEMPORAL_TLS_CA is deprecated and will be removed in the next release: set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead',
      'TEMPORAL_TLS_CERT is deprecated and will be removed in the next release: set TEMPORAL_TLS_CLIENT_CERT_PATH instead',
      'TEMPORAL_TLS_KEY is deprecated and will be removed in the next release: set TEMPORAL_TLS_CLIENT_KEY_PATH instead',
    ]);
    const tls = s.connection.tls as { serverRootCACertificate?: Uint8Array; clientCertPair?: { crt: Uint8Array } };
    assert.equal(Buffer.from(tls.serverRootCACertificate ?? []).toString(), 'CA');
    assert.equal(Buffer.from(tls.clientCertPair?.crt ?? []).toString(), 'CERT');
  });

  it('prefers the new variable when both names are set', () => {
    const s = temporalSettings(
      {},
      { TEMPORAL_TLS_CA: '/old/ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('new.pem', 'NEW') },
      silent,
    );
    const tls = s.connection.tls as { serverRootCACertificate?: Uint8Array };
    assert.equal(Buffer.from(tls.serverRootCACertificate ?? []).toString(), 'NEW');
  });

  it('refuses a TEMPORAL_TLS that is neither true nor false (envconfig would take it as off)', () => {
    assert.throws(
      () => temporalSettings({}, { TEMPORAL_TLS: 'yes', TEMPORAL_API_KEY: 'k' }, silent),
      /TEMPORAL_TLS \(or --tls\) must be true or false, not "yes"/,
    );
    assert.ok(temporalSettings({}, { TEMPORAL_TLS: 'TRUE' }, silent).connection.tls, 'TRUE turns TLS on');
    assert.equal(temporalSettings({}, { TEMPORAL_TLS: 'false' }, silent).connection.tls, false);
  });

  it('names a broken profile file without quoting its lines (they may hold a key)', () => {
    const broken = file('broken.toml', '[profile.default]\napi_key = "sk-SECRET-123\n');
    assert.throws(
      () => temporalSettings({}, { TEMPORAL_CONFIG_FILE: broken }, silent),
      (err: Error) =>
        /^cannot load the Temporal connection settings: /.test(err.message) && !err.message.includes('SECRET'),
    );
  });

  it('refuses a client certificate without its key, naming both settings', () => {
    assert.throws(
      () => temporalSettings({ tlsCertPath: file('c.pem', 'C') }, {}, silent),
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
  });
});

describe('connectionOptions', () => {
  it('takes the connection flags and translates the older ones, with a warning', () => {
    const warnings: string[] = [];
    const flags = connectionOptions(
      { address: 'a:1', tlsCa: '/ca.pem', tlsCertPath: '/new.pem', tlsCert: '/old.pem', taskQueue: 'q' },
      (m) => warnings.push(m),
    );
    assert.deepEqual(flags, { address: 'a:1', tlsCaPath: '/ca.pem', tlsCertPath: '/new.pem' });
    assert.deepEqual(warnings, [
      '--tls-ca is deprecated and will be removed in the next release: use --tls-ca-path instead',
      '--tls-cert is deprecated and will be removed in the next release: use --tls-cert-path instead',
    ]);
  });
});
