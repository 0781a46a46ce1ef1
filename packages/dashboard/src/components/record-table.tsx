import { formatDateTime } from '../format';
import { ScrollRegion } from './ui';

/**
 * A table of records whose exact fields the page does not know in advance (an incident's transitions and
 * deliveries): one column per key seen, timestamps formatted, nested values as compact JSON.
 */
export function RecordTable({ rows, caption }: { rows: Record<string, unknown>[]; caption: string }) {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return (
    <ScrollRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} class="wrap">
                  {show(c, row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function show(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string' && /At$|^at$|time/i.test(key) && Number.isFinite(Date.parse(value))) {
    return formatDateTime(value);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
