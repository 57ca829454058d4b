/** Maintenance-window arithmetic, table-driven: daylight-saving changes, midnight, several windows, boundaries. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTime, nextOpening, openWindow, parseWindow, parseWindows } from '../../workflows/window.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');

describe('parseWindow', () => {
  it('reads days, ranges, a time range and a zone', () => {
    const w = parseWindow('Sat,Sun 02:00-06:00 Pacific/Auckland');
    assert.deepEqual([w.days, w.start, w.end, w.zone], [[6, 7], 120, 360, 'Pacific/Auckland']);
    assert.deepEqual(parseWindow('Fri-Mon 22:00-04:00 UTC').days, [1, 5, 6, 7]);
    assert.deepEqual(parseWindow('daily 00:00-24:00 UTC').days, [1, 2, 3, 4, 5, 6, 7]);
  });
  const bad: [string, RegExp][] = [
    ['Funday 02:00-06:00 UTC', /"Funday" is not a day of the week/],
    ['Sat 25:00-06:00 UTC', /"25:00-06:00" is not a time range/],
    ['Sat 02:00-06:00 Mars/Olympus', /"Mars\/Olympus" is not an IANA time zone/],
    ['Sat 02:00-02:00 UTC', /starts and ends at the same time/],
    ['Sat 02:00-06:00', /needs days, a time range and a time zone/],
  ];
  for (const [spec, re] of bad) it(`refuses "${spec}"`, () => assert.throws(() => parseWindow(spec), re));
  it('reports every invalid window at once', () => {
    assert.throws(
      () => parseWindows(['Sat 02:00-06:00 UTC', 'Xyz 1-2 UTC', 'Sat 02:00-06:00 Nowhere/Land']),
      (err: Error) => {
        return (
          /Xyz/.test(err.message) && /Nowhere\/Land/.test(err.message) && !/"Sat 02:00-06:00 UTC"/.test(err.message)
        );
      },
    );
  });
});

describe('openWindow / nextOpening', () => {
  // [window(s), time, open?, next opening, closes (when open)]
  const cases: [string, string[], string, boolean, string, string?][] = [
    // Pacific/Auckland springs forward 2026-09-27 02:00 NZST → 03:00 NZDT: the window opens at 03:00 and lasts 3 h.
    [
      'Auckland spring forward, before',
      ['Sun 02:00-06:00 Pacific/Auckland'],
      '2026-09-26T13:30:00Z',
      false,
      '2026-09-26T14:00:00Z',
    ],
    [
      'Auckland spring forward, inside',
      ['Sun 02:00-06:00 Pacific/Auckland'],
      '2026-09-26T14:00:00Z',
      true,
      '2026-09-26T14:00:00Z',
      '2026-09-26T17:00:00Z',
    ],
    // Auckland falls back 2026-04-05 03:00 NZDT → 02:00 NZST: 02:00 happens twice, the window opens at the first and lasts 5 h.
    [
      'Auckland fall back',
      ['Sun 02:00-06:00 Pacific/Auckland'],
      '2026-04-04T13:30:00Z',
      true,
      '2026-04-04T13:30:00Z',
      '2026-04-04T18:00:00Z',
    ],
    // New York springs forward 2026-03-08 02:00 EST → 03:00 EDT: 01:00-03:00 lasts one hour.
    [
      'New York spring forward',
      ['Sun 01:00-03:00 America/New_York'],
      '2026-03-08T06:30:00Z',
      true,
      '2026-03-08T06:30:00Z',
      '2026-03-08T07:00:00Z',
    ],
    [
      'New York spring forward, after',
      ['Sun 01:00-03:00 America/New_York'],
      '2026-03-08T07:00:00Z',
      false,
      '2026-03-15T05:00:00Z',
    ],
    // New York falls back 2026-11-01 02:00 EDT → 01:00 EST: 00:30-02:30 lasts three hours.
    [
      'New York fall back',
      ['Sun 00:30-02:30 America/New_York'],
      '2026-11-01T07:00:00Z',
      true,
      '2026-11-01T07:00:00Z',
      '2026-11-01T07:30:00Z',
    ],
    [
      'New York fall back, opening',
      ['Sun 00:30-02:30 America/New_York'],
      '2026-10-31T12:00:00Z',
      false,
      '2026-11-01T04:30:00Z',
    ],
    // Across midnight: Friday's 22:00-04:00 still holds early on Saturday.
    [
      'across midnight, Saturday 03:00',
      ['Fri 22:00-04:00 UTC'],
      '2026-11-28T03:00:00Z',
      true,
      '2026-11-28T03:00:00Z',
      '2026-11-28T04:00:00Z',
    ],
    ['across midnight, Saturday 05:00', ['Fri 22:00-04:00 UTC'], '2026-11-28T05:00:00Z', false, '2026-12-04T22:00:00Z'],
    // Several windows: the earliest next one wins.
    [
      'several windows',
      ['Tue 01:00-02:00 UTC', 'Thu 01:00-02:00 UTC'],
      '2026-11-25T00:00:00Z',
      false,
      '2026-11-26T01:00:00Z',
    ],
    // Boundaries: the start belongs to the window, the end does not.
    [
      'exactly at the start',
      ['Fri 16:00-17:00 UTC'],
      '2026-11-27T16:00:00Z',
      true,
      '2026-11-27T16:00:00Z',
      '2026-11-27T17:00:00Z',
    ],
    ['exactly at the end', ['Fri 16:00-17:00 UTC'], '2026-11-27T17:00:00Z', false, '2026-12-04T16:00:00Z'],
  ];
  for (const [name, specs, t, open, next, closes] of cases) {
    it(name, () => {
      const windows = parseWindows(specs);
      const o = openWindow(windows, at(t));
      assert.equal(o !== undefined, open);
      if (o && closes) assert.equal(iso(o.closes), closes.replace('.000', ''));
      assert.equal(iso(nextOpening(windows, at(t)).opens), next);
    });
  }
  it("describes a time in the window's zone and in UTC", () => {
    assert.equal(
      describeTime(at('2026-09-26T14:00:00Z'), 'Pacific/Auckland'),
      '2026-09-27 03:00 Pacific/Auckland (2026-09-26 14:00 UTC)',
    );
  });
});
