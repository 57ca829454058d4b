/** The replacement command's environment: built explicitly, never the worker's Temporal settings; and the catalogue's checks of it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import {
  commandEnv,
  commandVariables,
  type CommandFacts,
  idempotencyKey,
  secretValues,
} from '../../activities/replace/env.js';
import { COMMAND_VARIABLES, DEFAULT_PASS_ENV } from '../../model/catalogue.js';

const facts: CommandFacts = {
  node: 'minion-0',
  role: 'worker',
  addresses: [
    { type: 'InternalIP', address: '10.0.0.5' },
    { type: 'Hostname', address: 'minion-0' },
  ],
  providerId: 'openstack:///0b5f2a4e',
  fromVersion: 'v1.11.9',
  targetVersion: 'v1.12.7',
  cluster: 'k8s-upgrade-test',
  kubeconfig: '/etc/k8s/kubeconfig',
  upgradeId: 'upgrade-k8s-upgrade-test',
  key: idempotencyKey('upgrade-k8s-upgrade-test', 'minion-0', 'v1.12.7'),
  attempt: 3,
  timeoutSeconds: 600,
};

const worker = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/worker',
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  TEMPORAL_API_KEY: 'temporal-cloud-key-123',
  TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233',
  K8S_RU_CATALOGUE: '/etc/catalogue.yaml',
  OS_AUTH_URL: 'https://keystone:5000/v3',
  OS_PASSWORD: 'openstack-pw-456',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-789',
  NODE_NAME: 'the-worker-own-value',
};

describe('commandVariables', () => {
  it('sets every documented variable', () => {
    const vars = commandVariables(facts);
    assert.deepEqual(Object.keys(vars).sort(), [...COMMAND_VARIABLES].sort());
    assert.equal(vars.IDEMPOTENCY_KEY, 'upgrade-k8s-upgrade-test/minion-0/v1.12.7');
    assert.equal(vars.NODE_INTERNAL_IP, '10.0.0.5');
    assert.equal(vars.NODE_EXTERNAL_IP, '');
    assert.equal(vars.NODE_ADDRESSES, 'InternalIP=10.0.0.5,Hostname=minion-0');
    assert.equal(vars.ATTEMPT, '3');
    assert.equal(vars.FROM_VERSION, 'v1.11.9');
    assert.equal(vars.NODE_ROLE, 'worker');
    assert.equal(vars.UPGRADE_RUN_ID, '');
  });

  it("names the upgrade's run in the key, so that a later upgrade to the same version has another key", () => {
    const first = idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7', 'run-1');
    const again = idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7', 'run-2');
    assert.equal(first, 'upgrade-c1/run-1/minion-0/v1.12.7');
    assert.notEqual(first, again);
    // the same upgrade (its first run id survives continue-as-new): the same key for every attempt
    assert.equal(idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7', 'run-1'), first);
    // no run given (an upgrade started before the workflow passed it): as before
    assert.equal(idempotencyKey('upgrade-c1', 'minion-0', 'v1.12.7'), 'upgrade-c1/minion-0/v1.12.7');
    const vars = commandVariables({ ...facts, upgradeRun: 'run-1', key: first });
    assert.equal(vars.UPGRADE_RUN_ID, 'run-1');
    assert.equal(vars.IDEMPOTENCY_KEY, first);
  });
});

describe('commandEnv', () => {
  const vars = commandVariables(facts);

  it('passes by default only PATH, HOME and SSH_AUTH_SOCK of the worker', () => {
    const env = commandEnv(vars, { env: {}, passEnv: DEFAULT_PASS_ENV }, worker);
    const own = Object.keys(env).filter((k) => !(COMMAND_VARIABLES as readonly string[]).includes(k));
    assert.deepEqual(own.sort(), ['HOME', 'PATH', 'SSH_AUTH_SOCK']);
  });

  it('passes NAME* as every variable starting with NAME, the cluster env over them, the documented ones over all', () => {
    const env = commandEnv(
      vars,
      { env: { OS_REGION_NAME: 'nz-hlz-1', OS_AUTH_URL: 'https://override' }, passEnv: ['OS_*', 'PATH', 'NODE_*'] },
      worker,
    );
    assert.equal(env.OS_PASSWORD, 'openstack-pw-456');
    assert.equal(env.OS_REGION_NAME, 'nz-hlz-1');
    assert.equal(env.OS_AUTH_URL, 'https://override');
    assert.equal(env.NODE_NAME, 'minion-0');
    assert.equal(env.HOME, undefined);
  });

  it('never passes a TEMPORAL_* variable, whatever the list says', () => {
    const env = commandEnv(vars, { env: { TEMPORAL_X: 'y' }, passEnv: ['*', 'TEMPORAL_API_KEY'] }, worker);
    assert.deepEqual(
      Object.keys(env).filter((k) => k.toUpperCase().startsWith('TEMPORAL')),
      [],
    );
    assert.ok(!Object.values(env).includes('temporal-cloud-key-123'));
  });
});

describe('secretValues', () => {
  it("holds the cluster env's values and the worker's secret-looking ones, not ordinary ones", () => {
    const secrets = secretValues({ env: { OS_REGION_NAME: 'nz-hlz-1', X: 'abc' } }, worker);
    for (const s of ['nz-hlz-1', 'temporal-cloud-key-123', 'openstack-pw-456', 'aws-secret-789']) {
      assert.ok(secrets.includes(s), s);
    }
    for (const s of ['/usr/bin:/bin', '/home/worker', 'abc', 'ns.tmprl.cloud:7233']) assert.ok(!secrets.includes(s), s);
  });
});

describe('the catalogue: replace.env and replace.passEnv', () => {
  const catalogue = (replace: string) => `
templates:
  - { name: a, uuid: ua, labels: { kube_tag: v1.11.9 } }
clusters:
  - name: c1
    uuid: uc1
    template: a
    kubeconfig: /k
    replace: ${replace}
`;
  const parse = (replace: string) => parseCatalogue(catalogue(replace), '/tmp', {});

  it('defaults to no env and the default pass-through list', () => {
    const [c] = parse("{ provider: command, command: 'true' }").clusters;
    assert.ok(c?.replace.provider === 'command');
    assert.deepEqual(c.replace.env, {});
    assert.deepEqual(c.replace.passEnv, ['PATH', 'HOME', 'SSH_AUTH_SOCK']);
  });

  it('keeps env values as text and the pass-through list as given', () => {
    const [c] = parse(
      "{ provider: command, command: 'true', env: { OS_REGION_NAME: nz, RETRIES: 3, DRY: false }, passEnv: [PATH, OS_*] }",
    ).clusters;
    assert.ok(c?.replace.provider === 'command');
    assert.deepEqual(c.replace.env, { OS_REGION_NAME: 'nz', RETRIES: '3', DRY: 'false' });
    assert.deepEqual(c.replace.passEnv, ['PATH', 'OS_*']);
  });

  const refused: [string, RegExp][] = [
    ['env: { TEMPORAL_API_KEY: x }', /cluster c1: replace.env: "TEMPORAL_API_KEY" is refused: TEMPORAL_\* variables/],
    ['passEnv: [PATH, TEMPORAL_API_KEY]', /cluster c1: replace.passEnv: "TEMPORAL_API_KEY" is refused/],
    ['passEnv: [temporal_namespace]', /replace.passEnv: "temporal_namespace" is refused/],
    ['passEnv: ["TEMP*"]', /replace.passEnv: "TEMP\*" is refused/],
    ['passEnv: ["*"]', /replace.passEnv: "\*" is refused/],
    ['passEnv: [KUBECONFIG]', /replace.passEnv: "KUBECONFIG" is set by the worker for every command/],
    ['env: { NODE_NAME: x }', /replace.env: "NODE_NAME" is set by the worker for every command/],
    ['env: { 1BAD: x }', /replace.env: "1BAD" is not a variable name/],
    ['passEnv: ["OS-*"]', /replace.passEnv: "OS-\*" is not a variable name/],
    ['env: { A: [1] }', /replace.env: A must be a string, a number or true\/false/],
    ['env: [A]', /"replace.env" must be a map of variable names to values/],
    ['passEnv: PATH', /"replace.passEnv" must be a list of variable names/],
  ];
  for (const [field, re] of refused) {
    it(`refuses ${field}`, () => {
      assert.throws(() => parse(`{ provider: command, command: 'true', ${field} }`), re);
    });
  }

  it('takes a timeoutSeconds up to 3000 s, and refuses a longer one, saying why', () => {
    const [c] = parse("{ provider: command, command: 'true', timeoutSeconds: 3000 }").clusters;
    assert.ok(c?.replace.provider === 'command');
    assert.equal(c.replace.timeoutSeconds, 3000);
    const [d] = parse("{ provider: command, command: 'true' }").clusters;
    assert.ok(d?.replace.provider === 'command');
    assert.equal(d.replace.timeoutSeconds, 1800);
    assert.throws(
      () => parse("{ provider: command, command: 'true', timeoutSeconds: 3001 }"),
      /cluster c1: .*"replace.timeoutSeconds" must be at most 3000 \(50 min\): the replacement activity has nodeReadyTimeoutSeconds \+ 3600 s/,
    );
    assert.throws(() => parse("{ provider: command, command: 'true', timeoutSeconds: -1 }"), /must be a number >= 0/);
  });

  it('refuses env and passEnv on the kwok provider (it runs no command)', () => {
    assert.throws(() => parse('{ provider: kwok, env: { A: b } }'), /"env" is for the command provider only/);
    assert.throws(() => parse('{ provider: kwok, passEnv: [PATH] }'), /"passEnv" is for the command provider only/);
  });
});
