import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { csvHeader, csvLines, parquetColumns, REPORT_COLUMNS, type ReportRow, reportObjectKey } from './format';

const row = (over: Partial<ReportRow> = {}): ReportRow => ({
  id: 'evt-1',
  timestamp: Date.UTC(2026, 10, 29, 10, 15, 0, 123),
  type: 'api_call',
  source: 'stripe',
  endpoint: 'POST /v1/charges',
  method: 'POST',
  status: 201,
  latency_ms: 87.5,
  country: 'DE',
  properties: '{"a": "b, \\"c\\"\\nline"}',
  ...over,
});

describe('CSV lines', () => {
  it('has the contract header and round-trips through papaparse, awkward characters included', () => {
    const rows = [
      row(),
      row({
        id: 'evt-2',
        endpoint: null,
        method: null,
        status: null,
        latency_ms: null,
        country: null,
        properties: null,
      }),
      row({ id: 'a,"b"\r\nc', source: '=SUM(A1)', latency_ms: 0.1 + 0.2 }),
    ];
    const text = csvHeader() + csvLines(rows.slice(0, 2)) + csvLines(rows.slice(2));
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data[0]).toEqual([...REPORT_COLUMNS]);
    expect(parsed.data).toHaveLength(4);
    expect(parsed.data[1]).toEqual([
      'evt-1',
      '2026-11-29T10:15:00.123Z',
      'api_call',
      'stripe',
      'POST /v1/charges',
      'POST',
      '201',
      '87.5',
      'DE',
      '{"a": "b, \\"c\\"\\nline"}',
    ]);
    expect(parsed.data[2]?.slice(4)).toEqual(['', '', '', '', '', '']);
    expect(parsed.data[3]?.[0]).toBe('a,"b"\r\nc');
    expect(Number(parsed.data[3]?.[7])).toBe(0.1 + 0.2);
    expect(JSON.parse(parsed.data[1]?.[9] as string)).toEqual({ a: 'b, "c"\nline' });
  });

  it('writes nothing for no rows', () => {
    expect(csvLines([])).toBe('');
  });
});

describe('parquetColumns', () => {
  it('transposes rows into columns in contract order', () => {
    const cols = parquetColumns([row(), row({ id: 'evt-2', status: null })]);
    expect(cols.map((c) => c.name)).toEqual([...REPORT_COLUMNS]);
    expect(cols[0]?.data).toEqual(['evt-1', 'evt-2']);
    expect(cols[1]?.data[0]).toEqual(new Date(Date.UTC(2026, 10, 29, 10, 15, 0, 123)));
    expect(cols[6]?.data).toEqual([201, null]);
  });
});

describe('reportObjectKey', () => {
  it('includes tenant and report id', () => {
    expect(reportObjectKey('t1', 'r1', 'parquet')).toBe('reports/t1/r1.parquet');
  });
});
