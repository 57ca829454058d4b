/**
 * The options schema (model/options.ts) and what is made from it: the workflow input's check
 * (checkRequest), the `start` flags, and the README's options table, which must say what the schema
 * says (when this test fails, paste the table it prints into README.md and run prettier on it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { Command } from 'commander';
import * as v from 'valibot';
import { optionFlags, requestFrom } from '../../client/options.js';
import { Failure } from '../../model/errors.js';
import { DEFAULTS, INPUT, OPTION_NAMES, optionDoc } from '../../model/options.js';
import { checkRequest } from '../../workflows/input.js';

const base = { cluster: 'k8s-upgrade-test', template: 'kubernetes-v1.12.7-prod-20190403' };

/** The message checkRequest refuses `input` with. */
function refusal(input: unknown): string {
  try {
    checkRequest(input);
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, Failure.InvalidInput);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^invalid upgrade input: /);
    return err.message;
  }
  assert.fail(`${JSON.stringify(input)} should be refused`);
}

describe('checkRequest', () => {
  it('fills in every default and hands back the input as sent', () => {
    const { request, options } = checkRequest(base);
    assert.deepEqual(request, base);
    assert.deepEqual(options, DEFAULTS);
    assert.deepEqual(DEFAULTS, {
      maxUnavailable: 1,
      maxSurge: 0,
      drainTimeoutSeconds: 600,
      onDrainTimeout: 'pause',
      deleteEmptyDirData: false,
      force: false,
      soakSeconds: 0,
      nodeReadyTimeoutSeconds: 600,
      gateTimeoutSeconds: 300,
      probes: [],
      windows: [],
      maxHistoryEvents: 4000,
    });
  });

  it('keeps the options given, and gives a probe its default successes', () => {
    const input = {
      ...base,
      allowSkew: true,
      maxUnavailable: '10%',
      gracePeriodSeconds: 30,
      onDrainTimeout: 'force',
      probes: [{ url: 'http://10.0.0.1' }],
      windows: ['Sat,Sun 02:00-06:00 Pacific/Auckland'],
    };
    const { request, options } = checkRequest(input);
    assert.equal(request, input);
    assert.equal(options.maxUnavailable, '10%');
    assert.equal(options.gracePeriodSeconds, 30);
    assert.equal(options.onDrainTimeout, 'force');
    assert.deepEqual(options.probes, [{ url: 'http://10.0.0.1', successes: 3 }]);
    assert.deepEqual(options.windows, input.windows);
    assert.equal('allowSkew' in options, false);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a list', [1], /expected a JSON object like \{"cluster": "...", "template": "..."\}$/],
    ['no input', null, /expected a JSON object/],
    ['no template', { cluster: 'c' }, /: "template" \(a template name\) is required$/],
    ['an empty cluster', { cluster: '', template: 't' }, /"cluster" \(a cluster name\) is required/],
    [
      'unknown options',
      { ...base, maxUnavailible: 2, foo: 1 },
      /unknown option\(s\) maxUnavailible, foo \(known: cluster, template, allowSkew, maxUnavailable,/,
    ],
    ['a text switch', { ...base, force: 'yes' }, /"force" must be true or false/],
    [
      'a zero count',
      { ...base, maxUnavailable: 0 },
      /"maxUnavailable" must be a whole number >= 1 or a percentage such as "10%"/,
    ],
    ['a fraction', { ...base, maxUnavailable: 1.5 }, /"maxUnavailable" must be a whole number >= 1 or a percentage/],
    ['0%', { ...base, maxUnavailable: '0%' }, /"maxUnavailable" must be a whole number >= 1 or a percentage/],
    ['150%', { ...base, maxUnavailable: '150%' }, /"maxUnavailable" must be a whole number >= 1 or a percentage/],
    ['a negative surge', { ...base, maxSurge: -1 }, /"maxSurge" must be a whole number >= 0 \(new nodes registered/],
    ['no drain time', { ...base, drainTimeoutSeconds: 0 }, /"drainTimeoutSeconds" must be a number of seconds >= 1/],
    ['text for seconds', { ...base, soakSeconds: '10' }, /"soakSeconds" must be a number of seconds >= 0/],
    ['an unknown action', { ...base, onDrainTimeout: 'wait' }, /"onDrainTimeout" must be one of pause, force, abort/],
    [
      'a fractional grace period',
      { ...base, gracePeriodSeconds: 1.5 },
      /"gracePeriodSeconds" must be a whole number of seconds/,
    ],
    ['a long gate', { ...base, gateTimeoutSeconds: 1501 }, /"gateTimeoutSeconds" must be at most 1500/],
    ['a short history', { ...base, maxHistoryEvents: 9 }, /"maxHistoryEvents" must be a whole number >= 10/],
    [
      'a probe without http',
      { ...base, probes: [{ url: 'ftp://x' }] },
      /"probes" must be a list of \{"url": "http:\/\/..."/,
    ],
    ['a probe of 21 successes', { ...base, probes: [{ url: 'http://x', successes: 21 }] }, /"probes" must be a list/],
    ['a probe as text', { ...base, probes: 'http://x' }, /"probes" must be a list/],
    ['a window as text', { ...base, windows: 'daily 01:00-02:00 UTC' }, /"windows" must be a list of strings like/],
    [
      'a bad window',
      { ...base, windows: ['Sat 02:00-06:00 Mars/Olympus'] },
      /invalid maintenance window "Sat 02:00-06:00 Mars\/Olympus": "Mars\/Olympus" is not an IANA time zone/,
    ],
  ];
  for (const [what, input, re] of bad) it(`refuses ${what}`, () => assert.match(refusal(input), re));

  it('lists every problem at once, each once, unknown options first', () => {
    const message = refusal({
      template: 't',
      extra: 1,
      probes: [{ url: 'x', successes: 0 }],
      gracePeriodSeconds: -1.5,
      windows: ['Sat 02:00-06:00 UTC', 'Xyz 1-2 UTC'],
    });
    const said = message.replace('invalid upgrade input: ', '').split('; ');
    const starts = [
      'unknown option(s) extra (known: cluster, template,',
      '"cluster" (a cluster name) is required',
      '"gracePeriodSeconds" must be a number of seconds >= 0',
      '"gracePeriodSeconds" must be a whole number of seconds',
      '"probes" must be a list of {"url": "http://...",',
      'invalid maintenance window "Xyz 1-2 UTC"',
    ];
    assert.equal(said.length, starts.length, message);
    starts.forEach((start, i) => assert.ok(said[i]?.startsWith(start), `${said[i]} should start with ${start}`));
  });
});

describe('start flags', () => {
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

  it('has a flag for every option but the two arguments, its default from the schema', () => {
    const flags = optionFlags();
    const named = OPTION_NAMES.filter((name) => !['cluster', 'template'].includes(name));
    assert.deepEqual(
      flags.map((f) => f.flags).filter((f) => f !== '--probe-successes <n>'),
      named.map((name) => optionDoc(name).cli),
    );
    const drain = flags.find((f) => f.long === '--drain-timeout');
    assert.equal(drain?.defaultValue, DEFAULTS.drainTimeoutSeconds);
    assert.equal(flags.find((f) => f.long === '--probe-successes')?.defaultValue, 3);
  });

  it('makes the request from the flags, defaults included', () => {
    const { options } = checkRequest(parse(['c', 't']));
    assert.deepEqual(options, DEFAULTS);
    const request = parse([
      'c',
      't',
      '--max-unavailable',
      '10%',
      '--drain-timeout',
      '60',
      '--delete-emptydir-data',
      '--probe',
      'http://a',
      'http://b',
      '--probe-successes',
      '5',
      '--window',
      'daily 22:00-04:00 UTC',
      '--on-drain-timeout',
      'force',
    ]);
    assert.deepEqual(checkRequest(request).options, {
      ...DEFAULTS,
      maxUnavailable: '10%',
      drainTimeoutSeconds: 60,
      deleteEmptyDirData: true,
      probes: [
        { url: 'http://a', successes: 5 },
        { url: 'http://b', successes: 5 },
      ],
      windows: ['daily 22:00-04:00 UTC'],
      onDrainTimeout: 'force',
    });
  });

  it('leaves bad values to the schema, which names them', () => {
    const message = refusal(parse(['c', 't', '--drain-timeout', 'soon', '--max-surge', '1.5']));
    assert.match(message, /"maxSurge" must be a whole number >= 0/);
    assert.match(message, /"drainTimeoutSeconds" must be a number of seconds >= 1/);
  });
});

describe("README's options table", () => {
  const cell = (text: string) => text.trim().replace(/\s+/g, ' ');

  /** The table's rows as the schema says them. */
  function expected(): string[][] {
    return OPTION_NAMES.map((name) => {
      const doc = optionDoc(name);
      const schema = INPUT[name];
      const fallback = v.getDefault(schema as v.GenericSchema);
      const shown =
        doc.defaultText ??
        (schema.type !== 'optional' ? 'required' : typeof fallback === 'string' ? `\`${fallback}\`` : String(fallback));
      return [`\`${name}\``, `\`${doc.cli}\``, shown, cell(doc.more ? `${doc.help}. ${doc.more}` : doc.help)];
    });
  }

  /** The rows of the table under "### Options" in README.md. */
  function inReadme(): string[][] {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('### Options'));
    const lines = section.split('\n');
    const start = lines.findIndex((l) => l.startsWith('|'));
    const table = lines.slice(
      start,
      lines.findIndex((l, i) => i > start && !l.startsWith('|')),
    );
    return table.slice(2).map((row) => row.slice(1, -1).split('|').map(cell));
  }

  it('says what the schema says: each option, its flag, its default and its meaning', () => {
    const want = expected();
    const markdown = [
      '| option | `start` flag | default | meaning |',
      '| --- | --- | --- | --- |',
      ...want.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
    assert.deepEqual(inReadme(), want, `README.md's options table should read:\n\n${markdown}\n`);
  });
});
