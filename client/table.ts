/** Tables drawn like the `openstack` CLI's (cli-table3). */
import Table from 'cli-table3';

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString();
}

/** A two-column Field | Value table, as `openstack coe cluster show` prints. */
export function fields(entries: [string, unknown][]): string {
  return table(
    ['Field', 'Value'],
    entries.map(([k, v]) => [k, typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v)]),
  );
}
