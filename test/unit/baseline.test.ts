/**
 * The baseline as pure functions: what the pre-flight accepts (`acceptUnhealthy`: everything but the
 * by-key kinds, or named keys), how later gates judge against it (new, worse, accepted, upgraded
 * nodes), exclusions; the state's transition that keeps it (a node not Ready in it is skipped; it is
 * carried over continue-as-new); the catalogue's `health.exclude` and the option's refusals.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { baselineReport, baselineText } from '../../client/baseline.js';
import { optionFlags, requestFrom } from '../../client/options.js';
import { parseCatalogue } from '../../activities/catalogue/load.js';
import {
  acceptanceOf,
  acceptHint,
  baselineOf,
  type Finding,
  judge,
  notReadyKey,
  problemText,
} from '../../model/baseline.js';
import { objectRefProblem } from '../../model/exclusions.js';
import type { GateResult } from '../../model/kube.js';
import { checkRequest } from '../../workflows/input.js';
import { Upgrade } from '../../workflows/rolling-upgrade/state.js';

const notReady = (node: string): Finding => ({
  key: notReadyKey(node),
  detail: `${node} not Ready`,
  object: `node/${node}`,
  node,
});
const deployment = (ns: string, name: string, have: number, want: number): Finding => ({
  key: `deployment ${ns}/${name} unavailable`,
  detail: `deployment ${ns}/${name} ${have}/${want} available`,
  short: want - have,
  object: `deployment/${ns}/${name}`,
  namespace: ns,
});
const etcd: Finding = {
  key: 'apiserver readyz etcd',
  detail: 'readyz: [-]etcd failed: reason withheld',
  acceptable: 'key',
};

describe('judge: the pre-flight', () => {
  it('without acceptance says the findings as they are and fails', () => {
    const j = judge([notReady('w-1'), notReady('w-2')], 'all Ready', {});
    assert.deepEqual(j, {
      ok: false,
      detail: 'w-1 not Ready; w-2 not Ready',
      problems: [
        { key: 'node/w-1 not Ready', detail: 'w-1 not Ready' },
        { key: 'node/w-2 not Ready', detail: 'w-2 not Ready' },
      ],
      excluded: [],
    });
    assert.deepEqual(judge([], 'all Ready', {}), { ok: true, detail: 'all Ready', problems: [], excluded: [] });
  });

  it('accepts every problem with acceptUnhealthy: true, but not those accepted only by key', () => {
    const accept = acceptanceOf(true);
    const nodes = judge([notReady('w-1')], 'all Ready', { accept });
    assert.equal(nodes.ok, true);
    assert.equal(nodes.detail, 'w-1 not Ready (accepted)');
    assert.deepEqual(nodes.problems, [{ key: 'node/w-1 not Ready', detail: 'w-1 not Ready', accepted: true }]);
    const api = judge([etcd], 'ok', { accept });
    assert.equal(api.ok, false);
    assert.deepEqual(api.problems, [{ key: etcd.key, detail: etcd.detail, acceptable: 'key' }]);
  });

  it('accepts named keys only, of any kind but never an API that does not answer', () => {
    const accept = acceptanceOf(['apiserver readyz etcd', 'api']);
    const j = judge([etcd, notReady('w-1')], 'ok', { accept });
    assert.equal(j.ok, false, 'w-1 was not named');
    assert.equal(j.detail, 'w-1 not Ready; readyz: [-]etcd failed: reason withheld (accepted)');
    const api = judge([{ key: 'api', detail: 'no answer', acceptable: 'never' }], 'ok', { accept });
    assert.equal(api.ok, false);
  });

  it('reads acceptUnhealthy: false, absent or an empty list accept nothing', () => {
    assert.equal(acceptanceOf(false), undefined);
    assert.equal(acceptanceOf(undefined), undefined);
    assert.equal(acceptanceOf([]), undefined);
    assert.deepEqual(acceptanceOf(['k']), { keys: ['k'] });
  });
});

describe('judge: later gates against the baseline', () => {
  const baseline = [
    { key: 'node/w-1 not Ready', detail: 'w-1 not Ready' },
    { key: 'deployment default/web unavailable', detail: 'deployment default/web 1/3 available', short: 2 },
    { key: etcd.key, detail: etcd.detail },
  ];
  const accept = { baseline };

  it('passes what was already so, saying it', () => {
    const j = judge([notReady('w-1'), deployment('default', 'web', 1, 3)], 'ok', { accept });
    assert.equal(j.ok, true);
    assert.equal(
      j.detail,
      'w-1 not Ready: already so before the upgrade (accepted); deployment default/web 1/3 available: already so before the upgrade (accepted)',
    );
    assert.ok(j.problems.every((p) => p.accepted));
    assert.equal(judge([etcd], 'ok', { accept }).ok, true, 'a by-key problem accepted at the pre-flight stays so');
  });

  it('fails on a problem not in it, named as new, the accepted ones still said', () => {
    const j = judge([notReady('w-2'), notReady('w-1')], 'all Ready', { accept });
    assert.equal(j.ok, false);
    assert.equal(j.detail, 'w-2 not Ready (new); w-1 not Ready: already so before the upgrade (accepted)');
    assert.deepEqual(
      j.problems.map((p) => [p.key, p.accepted ?? false]),
      [
        ['node/w-2 not Ready', false],
        ['node/w-1 not Ready', true],
      ],
    );
  });

  it('fails on a workload short of more pods than before; fewer short passes', () => {
    const worse = judge([deployment('default', 'web', 0, 3)], 'ok', { accept });
    assert.equal(worse.ok, false);
    assert.equal(
      worse.detail,
      'deployment default/web 0/3 available (worse than before the upgrade: deployment default/web 1/3 available)',
    );
    assert.equal(judge([deployment('default', 'web', 2, 3)], 'ok', { accept }).ok, true);
  });

  it('fails on a budget short of pods that the baseline had only as not yet observed', () => {
    const key = 'budget default/web';
    const before = { key, detail: 'default/web not yet observed by the disruption controller' };
    const now = { key, detail: 'default/web has 0 healthy, needs 2', short: 2, object: 'budget/default/web' };
    const j = judge([now], 'all satisfied', { accept: { baseline: [before] } });
    assert.equal(j.ok, false);
    assert.equal(
      j.detail,
      'default/web has 0 healthy, needs 2 (worse than before the upgrade: default/web not yet observed by the disruption controller)',
    );
    assert.equal(
      judge([{ ...now, short: undefined, detail: before.detail }], 'ok', { accept: { baseline: [before] } }).ok,
      true,
    );
  });

  it('fails on an upgraded node whatever the baseline says of it', () => {
    const j = judge([notReady('w-1')], 'all Ready', { accept, upgraded: ['w-1'] });
    assert.equal(j.ok, false);
    assert.equal(j.detail, 'w-1 not Ready (upgraded: it must be healthy whatever it was before the upgrade)');
  });
});

describe('judge: exclusions', () => {
  it('never counts an excluded object or namespace, and says what it left out', () => {
    const exclusions = { namespaces: ['scratch'], objects: ['node/w-3'] };
    const j = judge([notReady('w-3'), deployment('scratch', 'tmp', 0, 1)], 'all Ready', { exclusions });
    assert.deepEqual(j, {
      ok: true,
      detail: 'all Ready (excluded by the catalogue: w-3 not Ready, deployment scratch/tmp 0/1 available)',
      problems: [],
      excluded: ['w-3 not Ready', 'deployment scratch/tmp 0/1 available'],
    });
    const mixed = judge([notReady('w-3'), notReady('w-1')], 'all Ready', { exclusions });
    assert.equal(mixed.ok, false);
    assert.equal(mixed.detail, 'w-1 not Ready; excluded by the catalogue: w-3 not Ready');
  });

  it('does not leave out a node the upgrade replaced: the exclusion covers what it was before', () => {
    const exclusions = { objects: ['node/w-3'] };
    const j = judge([notReady('w-3')], 'all Ready', { exclusions, upgraded: ['w-3'] });
    assert.deepEqual(j, {
      ok: false,
      detail: 'w-3 not Ready (upgraded: it must be healthy whatever it was before the upgrade)',
      problems: [{ key: 'node/w-3 not Ready', detail: 'w-3 not Ready' }],
      excluded: [],
    });
  });
});

describe('the baseline of a pre-flight and how it is told', () => {
  const result: GateResult = {
    healthy: false,
    at: '2026-11-30T08:00:00.000Z',
    checks: [
      { name: 'apiserver', ok: false, detail: etcd.detail },
      { name: 'nodes', ok: false, detail: 'w-1 not Ready' },
    ],
    problems: [
      { key: etcd.key, detail: etcd.detail, acceptable: 'key' },
      { key: 'node/w-1 not Ready', detail: 'w-1 not Ready' },
      { key: 'api', detail: 'no answer', acceptable: 'never' },
      { key: 'deployment a/b unavailable', detail: 'deployment a/b 0/1 available', short: 1, accepted: true },
    ],
    excluded: ['w-3 not Ready'],
  };

  it('keeps the accepted problems (with how short) and what was excluded', () => {
    assert.deepEqual(baselineOf(result), {
      at: result.at,
      accepted: [{ key: 'deployment a/b unavailable', detail: 'deployment a/b 0/1 available', short: 1 }],
      excluded: ['w-3 not Ready'],
    });
  });

  it('says which flag accepts which problem', () => {
    assert.equal(
      acceptHint(result.problems ?? []),
      'to upgrade anyway, accept what is already unhealthy as the baseline with --accept-unhealthy (workflow input "acceptUnhealthy": true): "node/w-1 not Ready"; later gates then fail only on what is new or worse; ' +
        'accepted only when named by key (--accept-unhealthy KEY..., "acceptUnhealthy": [KEY, ...]): "apiserver readyz etcd"; ' +
        'never accepted: "api"',
    );
    assert.equal(problemText({ key: 'node/w-1 not Ready', detail: 'w-1 not Ready' }), 'node/w-1 not Ready');
    assert.equal(
      problemText({ key: 'budget a/b', detail: 'a/b has 0 healthy, needs 1' }),
      'budget a/b: a/b has 0 healthy, needs 1',
    );
  });

  it('shows the plan each problem and whether the upgrade would start', () => {
    const report = baselineReport(result);
    assert.match(report, /pre-flight: 4 problem\(s\) already/);
    assert.match(report, /node\/w-1 not Ready .*refused; --accept-unhealthy accepts it/);
    assert.match(report, /accepts it \(w-1 is then left alone at its version, not upgraded\)/);
    assert.match(report, /apiserver readyz etcd .*accepted only by key: --accept-unhealthy "apiserver readyz etcd"/);
    assert.match(report, /deployment a\/b unavailable .*accepted: in the baseline/);
    assert.match(report, /excluded by the catalogue \(not counted\): w-3 not Ready/);
    assert.match(report, /the upgrade would be refused \(apiserver: .*; nodes: w-1 not Ready\); to upgrade anyway/);
    const started = baselineReport({ ...result, healthy: true, checks: [], problems: [result.problems![3]!] });
    assert.match(started, /the upgrade would start with 1 accepted problem\(s\) as its baseline/);
    const accepted = { key: 'node/w-1 not Ready', detail: 'w-1 not Ready', accepted: true as const };
    assert.match(
      baselineReport({ ...result, healthy: true, checks: [], problems: [accepted] }),
      /accepted: in the baseline \(w-1 is then left alone at its version, not upgraded\)/,
    );
    assert.equal(
      baselineText(baselineOf(result)),
      'deployment a/b unavailable: deployment a/b 0/1 available\nexcluded by the catalogue: w-3 not Ready',
    );
  });

  it('names the keys --accept-unhealthy gave that match nothing found (a typo accepts nothing)', () => {
    const named = ['node/w-1 NotReady', 'apiserver readyz etcd'];
    const said =
      '--accept-unhealthy named keys the pre-flight did not find, so they accept nothing: "node/w-1 NotReady" ' +
      '(a key is written exactly as the pre-flight lists it)';
    assert.ok(acceptHint(result.problems ?? [], named).endsWith(`; ${said}`), acceptHint(result.problems ?? [], named));
    assert.ok(!acceptHint(result.problems ?? [], ['apiserver readyz etcd']).includes('did not find'));
    assert.ok(baselineReport(result, named).includes(said));
    const started = baselineReport({ ...result, healthy: true, checks: [], problems: [] }, named.slice(0, 1));
    assert.ok(started.includes('the upgrade would start'));
    assert.ok(started.includes(said), started);
  });
});

describe('Upgrade.baselined', () => {
  const plan = (names: string[]) => ({
    cluster: 'c1',
    fromVersion: 'v1.11.9',
    toVersion: 'v1.12.7',
    nodes: names.map((name) => ({
      name,
      role: 'worker' as const,
      kubeletVersion: 'v1.11.9',
      ready: name !== 'w-1',
      unschedulable: false,
      action: 'upgrade' as const,
    })),
    budgets: [],
    warnings: [],
    estimateSeconds: 1,
  });
  const valid = {
    cluster: 'c1',
    clusterUuid: 'u',
    fromTemplate: 'a',
    toTemplate: 'b',
    toTemplateUuid: 'ub',
    fromVersion: 'v1.11.9',
    toVersion: 'v1.12.7',
    previousStatus: 'CREATE_COMPLETE',
  };

  it('skips a node not Ready in it, warns of named keys not found, shows it and carries it over', () => {
    const u = new Upgrade('upgrade-c1', 'c1', 'b');
    u.validated(valid);
    u.planned(plan(['w-0', 'w-1', 'w-2']));
    const baseline = {
      at: '2026-11-30T08:00:00.000Z',
      accepted: [{ key: 'node/w-1 not Ready', detail: 'w-1 not Ready' }],
      excluded: [],
    };
    u.baselined(baseline, ['node/w-1 not Ready', 'node/w-9 not Ready']);
    const s = u.view();
    assert.deepEqual(s.baseline, baseline);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.step]),
      [
        ['w-0', 'pending'],
        ['w-1', 'skipped'],
        ['w-2', 'pending'],
      ],
    );
    assert.equal(s.nodes[1]?.detail, 'not Ready before the upgrade (accepted): left alone at v1.11.9');
    assert.deepEqual(s.warnings, [
      'accepted but not found by the pre-flight, so not part of the baseline: "node/w-9 not Ready"',
    ]);
    assert.deepEqual(u.pending('worker'), ['w-0', 'w-2']);
    u.start();
    const next = Upgrade.continued('upgrade-c1', 'c1', JSON.parse(JSON.stringify(u.carry())));
    assert.deepEqual(next.view().baseline, baseline, 'carried over continue-as-new');
    assert.deepEqual(next.baseline, baseline);
  });
});

describe('acceptUnhealthy: the option and its flag', () => {
  const base = { cluster: 'c', template: 't' };
  const parse = (args: string[]) => {
    const command = new Command('start').argument('<cluster>').argument('<template>').exitOverride();
    for (const flag of optionFlags()) command.addOption(flag);
    let request: unknown;
    command.action((cluster: string, template: string, flags: Record<string, unknown>) => {
      request = requestFrom(cluster, template, flags);
    });
    command.parse(args, { from: 'user' });
    return request;
  };

  it('takes true or a list of keys, from the input and from the flag', () => {
    assert.equal(checkRequest({ ...base, acceptUnhealthy: true }).options.acceptUnhealthy, true);
    assert.equal(checkRequest(base).options.acceptUnhealthy, undefined);
    assert.equal(checkRequest(parse(['c', 't', '--accept-unhealthy'])).options.acceptUnhealthy, true);
    assert.deepEqual(
      checkRequest(parse(['c', 't', '--accept-unhealthy', 'node/w-1 not Ready', 'apiserver readyz etcd'])).options
        .acceptUnhealthy,
      ['node/w-1 not Ready', 'apiserver readyz etcd'],
    );
  });

  const refused: [string, unknown, RegExp][] = [
    [
      'text',
      'yes',
      /"acceptUnhealthy" must be true, false or a list of problem keys such as "node\/minion-1 not Ready"/,
    ],
    ['an empty key', [''], /"acceptUnhealthy" must be true, false or a list of problem keys/],
    ['a number', [1], /"acceptUnhealthy" must be true, false or a list of problem keys/],
    ['too many keys', Array.from({ length: 201 }, (_, i) => `k${i}`), /"acceptUnhealthy" must list at most 200/],
  ];
  for (const [what, value, re] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => checkRequest({ ...base, acceptUnhealthy: value }), re);
    });
  }
});

describe('catalogue: health.exclude', () => {
  const fixture = readFileSync(fileURLToPath(new URL('../fixtures/catalogue.yaml', import.meta.url)), 'utf8');
  const CLUSTER = '    replace: { provider: kwok, delaySeconds: 1 }\n    probeHosts: [127.0.0.1]';
  const withHealth = (health: string) =>
    parseCatalogue(fixture.replace(CLUSTER, `${CLUSTER}\n    health: ${health}`), '/tmp', {});
  const problem = (health: string) => {
    try {
      withHealth(health);
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail(`health: ${health} should be refused`);
  };

  it('excludes nothing when absent or empty, and takes namespaces and objects', () => {
    assert.equal(parseCatalogue(fixture, '/tmp', {}).clusters[0]?.health, undefined);
    assert.equal(withHealth('').clusters[0]?.health, undefined);
    assert.deepEqual(withHealth('{}').clusters[0]?.health, {});
    assert.deepEqual(withHealth('{ exclude: { namespaces: [scratch] } }').clusters[0]?.health, {
      exclude: { namespaces: ['scratch'], objects: [] },
    });
    const objects = ['node/k8s-minion-3', 'deployment/default/web', 'budget/kube-system/dns', 'daemonset/a/b'];
    assert.deepEqual(withHealth(`{ exclude: { objects: ${JSON.stringify(objects)} } }`).clusters[0]?.health, {
      exclude: { namespaces: [], objects },
    });
  });

  const bad: [string, string, string][] = [
    ['a list', '[scratch]', 'cluster k8s-upgrade-test: "health" must be a map like {exclude: '],
    ['a typo', '{ exlude: {} }', 'cluster k8s-upgrade-test: health: unknown field "exlude" (known: exclude)'],
    [
      'a typo inside',
      '{ exclude: { object: [] } }',
      'cluster k8s-upgrade-test: health.exclude: unknown field "object" (known: namespaces, objects)',
    ],
    [
      'a bad namespace',
      '{ exclude: { namespaces: [Kube_Test] } }',
      'cluster k8s-upgrade-test: health.exclude.namespaces: "Kube_Test" is not a namespace name',
    ],
    [
      'namespaces as text',
      '{ exclude: { namespaces: scratch } }',
      'cluster k8s-upgrade-test: "health.exclude.namespaces" must be a list of namespace names',
    ],
    [
      'an unknown kind',
      '{ exclude: { objects: [deploy/default/web] } }',
      'cluster k8s-upgrade-test: health.exclude.objects: "deploy/default/web" is not of a kind the gates read ("deploy")',
    ],
    [
      'a deployment without a namespace',
      '{ exclude: { objects: [deployment/web] } }',
      'cluster k8s-upgrade-test: health.exclude.objects: "deployment/web" must name a namespace and a name',
    ],
    [
      'a node with a namespace',
      '{ exclude: { objects: [node/default/w-1] } }',
      'health.exclude.objects: "node/default/w-1" names a node as node/<name>, without a namespace',
    ],
  ];
  for (const [what, health, start] of bad) {
    it(`refuses ${what}, naming the cluster and the field`, () =>
      assert.ok(problem(health).includes(start), problem(health)));
  }

  it('says how an object is written', () => {
    assert.match(
      objectRefProblem('pod/a/b') ?? '',
      /\(write node\/<name>, or <kind>\/<namespace>\/<name> with kind deployment, statefulset, daemonset, budget\)$/,
    );
    assert.equal(objectRefProblem('statefulset/db/pg'), undefined);
  });
});
