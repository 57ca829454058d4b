/** What of a replacement command's output may reach workflow history: redacted, then capped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outputForHistory, redact, tail, TAIL_CHARS, TAIL_LINES } from '../../activities/replace/redact.js';

describe('redact', () => {
  const cases: [what: string, text: string, hidden: string[], kept?: string[]][] = [
    ['password=', 'login password=hunter2secret ok', ['hunter2secret'], ['login', 'ok']],
    ['key=value', 'using key=abcdef012345 now', ['abcdef012345'], ['using', 'now']],
    ['OS_PASSWORD in an env dump', 'OS_PASSWORD=s3cr3t-pw\nOS_USERNAME=admin', ['s3cr3t-pw'], ['OS_USERNAME=admin']],
    ['a JSON field', '{"token": "tok-123456", "node": "n1"}', ['tok-123456'], ['"node": "n1"']],
    ['a YAML field', 'client-key-data: LS0tLS1CRUdJTi', ['LS0tLS1CRUdJTi'], []],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi_123', ['abc.def-ghi_123'], ['Authorization']],
    [
      'a URL with a password',
      'cloning https://deploy:pa55word@git.example.com/repo',
      ['pa55word'],
      ['git.example.com/repo'],
    ],
    ['a flag and its value', 'openstack --os-password Zz9secret server rebuild', ['Zz9secret'], ['server rebuild']],
    ['a flag=value', 'run --api-token=Qq1token more', ['Qq1token'], ['more']],
    ['an AWS access key id', 'aws says AKIAIOSFODNN7EXAMPLE is bad', ['AKIAIOSFODNN7EXAMPLE'], ['aws says', 'is bad']],
    [
      'an AWS secret key',
      'got wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here',
      ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ['here'],
    ],
    [
      'a service account token (JWT)',
      'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl end',
      ['eyJhbGciOiJSUzI1NiJ9', 'c2lnbmF0dXJl'],
      ['end'],
    ],
    ['an OpenStack Fernet token', 'X-Auth gAAAAABlZxYz0123456789abcdefghij', ['gAAAAABlZxYz0123456789abcdefghij'], []],
    ['a GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ', ['ghp_0123456789abcdefghijABCDEFGHIJ'], []],
    [
      'a private key',
      'x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\ny',
      ['b3BlbnNzaC1rZXk'],
      ['x', 'y'],
    ],
  ];
  for (const [what, text, hidden, kept = []] of cases) {
    it(`hides ${what}`, () => {
      const out = redact(text);
      for (const h of hidden) assert.ok(!out.includes(h), `${h} still in: ${out}`);
      for (const k of kept) assert.ok(out.includes(k), `${k} lost from: ${out}`);
      assert.match(out, /\[redacted\]/);
    });
  }

  it('hides the values it is given wherever they appear, the longest first', () => {
    const out = redact('connect to db with hunter2-long and hunter2 (pw)', ['hunter2', 'hunter2-long']);
    assert.equal(out, 'connect to db with [redacted] and [redacted] (pw)');
  });

  it('keeps ordinary output readable: versions, digests, uuids, node names, paths', () => {
    const text =
      'node k8s-upgrade-test-minion-0 upgraded to v1.12.7\n' +
      'image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n' +
      'server 0b5f2a4e-6c1d-4c3e-9a7b-2f8e1d3c4b5a rebuilt; kubelet restarted in /etc/kubernetes';
    assert.equal(redact(text), text);
  });
});

describe('tail', () => {
  it(`keeps the last ${TAIL_LINES} non-empty lines, joined by " | "`, () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n\n';
    assert.equal(tail(text), 'line 16 | line 17 | line 18 | line 19 | line 20');
  });

  it(`keeps at most ${TAIL_CHARS} characters, the end`, () => {
    const out = tail(`${'x'.repeat(2000)}\nthe end`);
    assert.equal(out.length, TAIL_CHARS);
    assert.ok(out.startsWith('…') && out.endsWith('x | the end'));
  });

  it('is empty for no output', () => assert.equal(tail('\n \n'), ''));
});

describe('outputForHistory', () => {
  it('redacts before it cuts, so a secret cut at the edge never shows in part', () => {
    const secret = 'S'.repeat(30) + 'tail-of-the-secret';
    const text = `${secret}${'y'.repeat(TAIL_CHARS - 20)}`;
    const out = outputForHistory(text, [secret]);
    assert.ok(!out.includes('tail-of-the-secret'), out);
    assert.ok(out.length <= TAIL_CHARS);
  });
});
