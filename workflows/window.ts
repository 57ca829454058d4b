/**
 * Maintenance windows: "Sat,Sun 02:00-06:00 Pacific/Auckland" — days of week, a wall-clock start and
 * end (an end before the start crosses midnight) and an IANA time zone. Parsed once; every question
 * takes the time as an argument, so this is pure, deterministic code the workflow sandbox can run
 * (luxon does the time-zone arithmetic, daylight-saving changes included).
 */
import { DateTime, IANAZone } from 'luxon';

export interface Window {
  spec: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday */
  days: number[];
  /** minutes after local midnight */
  start: number;
  end: number;
  zone: string;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function day(name: string): number | undefined {
  const i = DAYS.indexOf(name.slice(0, 3).toLowerCase());
  return i < 0 || !DAYS.some((d) => name.toLowerCase().startsWith(d)) ? undefined : i + 1;
}

function minutes(hhmm: string): number | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : hhmm === '24:00' ? 1440 : undefined;
}

/** Parses one window; the error names what is wrong and what is accepted. */
export function parseWindow(spec: string): Window {
  const parts = spec.trim().split(/\s+/);
  const fail = (why: string) => {
    throw new Error(
      `invalid maintenance window "${spec}": ${why} (expected e.g. "Sat,Sun 02:00-06:00 Pacific/Auckland" or "daily 22:00-04:00 UTC")`,
    );
  };
  if (parts.length !== 3) fail('it needs days, a time range and a time zone');
  const [daysText = '', range = '', zone = ''] = parts;
  const days = new Set<number>();
  if (['daily', 'everyday', '*'].includes(daysText.toLowerCase())) [1, 2, 3, 4, 5, 6, 7].forEach((d) => days.add(d));
  else {
    for (const item of daysText.split(',')) {
      const [a = '', b] = item.split('-');
      const from = day(a);
      const to = b === undefined ? from : day(b);
      if (from === undefined || to === undefined)
        fail(`"${item}" is not a day of the week (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`);
      for (let d = from as number; ; d = (d % 7) + 1) {
        days.add(d);
        if (d === to) break;
      }
    }
  }
  const [startText = '', endText = '', extra] = range.split('-');
  const start = minutes(startText);
  const end = minutes(endText);
  if (extra !== undefined || start === undefined || end === undefined || start === 1440)
    fail(`"${range}" is not a time range like 02:00-06:00`);
  if (start === end) fail('it starts and ends at the same time');
  if (!IANAZone.isValidZone(zone))
    fail(`"${zone}" is not an IANA time zone (such as Europe/Paris, Pacific/Auckland, UTC)`);
  return { spec, days: [...days].sort(), start: start as number, end: end as number, zone };
}

/** Parses every window, reporting all the invalid ones at once. */
export function parseWindows(specs: string[]): Window[] {
  const errors: string[] = [];
  const windows: Window[] = [];
  for (const s of specs) {
    try {
      windows.push(parseWindow(s));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
  return windows;
}

/** The occurrences of a window that could contain or follow `t`: [opens, closes) in epoch ms. */
function occurrences(w: Window, t: number): [number, number][] {
  const local = DateTime.fromMillis(t, { zone: w.zone }).startOf('day');
  const out: [number, number][] = [];
  for (let i = -1; i <= 8; i++) {
    const d = local.plus({ days: i });
    if (!w.days.includes(d.weekday)) continue;
    const at = (base: DateTime, m: number) =>
      DateTime.fromObject(
        { year: base.year, month: base.month, day: base.day, hour: Math.floor(m / 60), minute: m % 60 },
        { zone: w.zone },
      );
    const opens = at(d, w.start);
    const closes = w.end > w.start ? at(d, w.end) : at(d.plus({ days: 1 }), w.end);
    out.push([opens.toMillis(), closes.toMillis()]);
  }
  return out;
}

/** The window open at `t`, if any, with when it closes. */
export function openWindow(windows: Window[], t: number): { window: Window; closes: number } | undefined {
  for (const w of windows) {
    for (const [opens, closes] of occurrences(w, t)) if (opens <= t && t < closes) return { window: w, closes };
  }
  return undefined;
}

/** When the next window opens at or after `t` (t itself when one is open). */
export function nextOpening(windows: Window[], t: number): { window: Window; opens: number } {
  let best: { window: Window; opens: number } | undefined;
  for (const w of windows) {
    for (const [opens, closes] of occurrences(w, t)) {
      const at = opens <= t && t < closes ? t : opens;
      if (at >= t && (!best || at < best.opens)) best = { window: w, opens: at };
    }
  }
  if (!best) throw new Error('no maintenance window ever opens');
  return best;
}

/** "2026-11-28 02:00 Pacific/Auckland (2026-11-27 13:00 UTC)" */
export function describeTime(t: number, zone: string): string {
  const local = DateTime.fromMillis(t, { zone });
  const utc = DateTime.fromMillis(t, { zone: 'UTC' });
  return `${local.toFormat('yyyy-MM-dd HH:mm')} ${zone} (${utc.toFormat('yyyy-MM-dd HH:mm')} UTC)`;
}
