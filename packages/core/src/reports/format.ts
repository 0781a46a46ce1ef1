import Papa from 'papaparse';

/** The report columns, in the contract's order (API.md, "Reports"). */
export const REPORT_COLUMNS = [
  'id',
  'timestamp',
  'type',
  'source',
  'endpoint',
  'method',
  'status',
  'latency_ms',
  'country',
  'properties',
] as const;

export type ReportFormat = 'csv' | 'parquet';
export const REPORT_FORMATS = ['csv', 'parquet'] as const satisfies readonly ReportFormat[];

/**
 * One event as a report holds it. `timestamp` is epoch milliseconds (the API's precision); `properties` is
 * the stored JSON as text, exactly as Postgres renders it, so neither format re-serialises it.
 */
export interface ReportRow {
  id: string;
  timestamp: number;
  type: string;
  source: string;
  endpoint: string | null;
  method: string | null;
  status: number | null;
  latency_ms: number | null;
  country: string | null;
  properties: string | null;
}

/** MIME type and file extension of each format. */
export const REPORT_CONTENT_TYPES: Record<ReportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  parquet: { contentType: 'application/vnd.apache.parquet', extension: 'parquet' },
};

const CSV_NEWLINE = '\r\n';

/** The CSV header line (RFC 4180 line ending included). */
export function csvHeader(): string {
  return Papa.unparse([REPORT_COLUMNS as unknown as string[]], { newline: CSV_NEWLINE }) + CSV_NEWLINE;
}

/**
 * CSV lines for a page of rows, each ending in CRLF; '' for no rows. A null is an empty cell; the timestamp
 * is ISO 8601 UTC with milliseconds; properties is JSON text (quoted by papaparse as CSV requires).
 */
export function csvLines(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return '';
  const data = rows.map((r) => [
    r.id,
    new Date(r.timestamp).toISOString(),
    r.type,
    r.source,
    r.endpoint,
    r.method,
    r.status,
    r.latency_ms,
    r.country,
    r.properties,
  ]);
  return Papa.unparse(data, { newline: CSV_NEWLINE, header: false }) + CSV_NEWLINE;
}

/** Parquet schema element, as hyparquet-writer takes it (kept structural so core needs no writer types). */
export interface ParquetColumnSchema {
  name: string;
  type?: 'BYTE_ARRAY' | 'INT32' | 'INT64' | 'DOUBLE';
  converted_type?: 'UTF8' | 'TIMESTAMP_MILLIS';
  logical_type?: { type: 'TIMESTAMP'; isAdjustedToUTC: boolean; unit: 'MILLIS' };
  repetition_type?: 'REQUIRED' | 'OPTIONAL';
  num_children?: number;
}

const string = (name: string, required: boolean): ParquetColumnSchema => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
});

/**
 * Typed Parquet columns: timestamp as INT64 milliseconds adjusted to UTC (read as a timestamp by DuckDB,
 * pandas and Spark), status INT32, latency DOUBLE, text as UTF-8 strings, properties as a JSON string column.
 */
export const PARQUET_SCHEMA: readonly ParquetColumnSchema[] = [
  { name: 'root', num_children: REPORT_COLUMNS.length },
  string('id', true),
  {
    name: 'timestamp',
    type: 'INT64',
    converted_type: 'TIMESTAMP_MILLIS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
    repetition_type: 'REQUIRED',
  },
  string('type', true),
  string('source', true),
  string('endpoint', false),
  string('method', false),
  { name: 'status', type: 'INT32', repetition_type: 'OPTIONAL' },
  { name: 'latency_ms', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  string('country', false),
  string('properties', false),
];

/** A page of rows as Parquet column arrays, in schema order (timestamps as Dates). */
export function parquetColumns(rows: readonly ReportRow[]): { name: string; data: unknown[] }[] {
  const n = rows.length;
  const cols = REPORT_COLUMNS.map((name) => ({ name: name as string, data: new Array<unknown>(n) }));
  for (let i = 0; i < n; i++) {
    const r = rows[i] as ReportRow;
    (cols[0] as { data: unknown[] }).data[i] = r.id;
    (cols[1] as { data: unknown[] }).data[i] = new Date(r.timestamp);
    (cols[2] as { data: unknown[] }).data[i] = r.type;
    (cols[3] as { data: unknown[] }).data[i] = r.source;
    (cols[4] as { data: unknown[] }).data[i] = r.endpoint;
    (cols[5] as { data: unknown[] }).data[i] = r.method;
    (cols[6] as { data: unknown[] }).data[i] = r.status;
    (cols[7] as { data: unknown[] }).data[i] = r.latency_ms;
    (cols[8] as { data: unknown[] }).data[i] = r.country;
    (cols[9] as { data: unknown[] }).data[i] = r.properties;
  }
  return cols;
}

/** R2 object key of a report: the tenant's prefix, the report id (so no two reports share a key), the format. */
export function reportObjectKey(tenantId: string, reportId: string, format: ReportFormat): string {
  return `reports/${tenantId}/${reportId}.${REPORT_CONTENT_TYPES[format].extension}`;
}

/** `Content-Disposition` for a download: a fixed ASCII file name derived from the report id. */
export function reportContentDisposition(reportId: string, format: ReportFormat): string {
  return `attachment; filename="pulsestream-report-${reportId}.${REPORT_CONTENT_TYPES[format].extension}"`;
}
