import {
  csvHeader,
  csvLines,
  PARQUET_SCHEMA,
  parquetColumns,
  REPORT_COLUMNS,
  type ReportFormat,
  type ReportRow,
} from '@pulsestream/core/reports';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

/** R2 takes multipart parts of at least 5 MiB (but the last) and wants them all the same size. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** Rows per Parquet row group: large enough for good compression, small enough for a 128 MB isolate. */
export const PARQUET_ROW_GROUP_ROWS = 50_000;

/** A part R2 has accepted (structurally UploadedPart, so the sink also runs in Node benchmarks). */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

interface ObjectOptions {
  httpMetadata?: { contentType?: string };
}

/** The part of R2Bucket the sink uses, so it can be tested against a fake. */
export interface PartBucket {
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: ObjectOptions): Promise<unknown>;
  createMultipartUpload(key: string, options?: ObjectOptions): Promise<PartUpload>;
}

export interface PartUpload {
  uploadPart(partNumber: number, value: ArrayBuffer | ArrayBufferView): Promise<UploadedPart>;
  complete(parts: UploadedPart[]): Promise<unknown>;
  abort(): Promise<void>;
}

/**
 * Streams bytes into one R2 object through fixed-size parts: at most one part is held in memory. A file
 * smaller than one part is written with a single put. Writing the same key again replaces the object, so a
 * retried job overwrites its own file instead of appending.
 */
export class R2PartSink {
  private part: Uint8Array;
  private filled = 0;
  private upload: PartUpload | null = null;
  private readonly parts: UploadedPart[] = [];
  /** Bytes written so far. */
  bytes = 0;

  constructor(
    private readonly bucket: PartBucket,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes = DEFAULT_PART_BYTES,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new Error(`parts must be at least ${MIN_PART_BYTES} bytes`);
    this.part = new Uint8Array(partBytes);
  }

  /** Appends bytes; uploads each part as it fills. The caller may reuse `bytes` once this resolves. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(bytes.length - offset, this.partBytes - this.filled);
      this.part.set(bytes.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.partBytes) await this.flushPart();
    }
    this.bytes += bytes.length;
  }

  private async flushPart(): Promise<void> {
    if (!this.upload) {
      this.upload = await this.bucket.createMultipartUpload(this.key, {
        httpMetadata: { contentType: this.contentType },
      });
    }
    const uploaded = await this.upload.uploadPart(this.parts.length + 1, this.part.subarray(0, this.filled));
    this.parts.push(uploaded);
    this.filled = 0;
  }

  /** Writes what is left and completes the object. */
  async finish(): Promise<void> {
    if (!this.upload) {
      await this.bucket.put(this.key, this.part.subarray(0, this.filled), {
        httpMetadata: { contentType: this.contentType },
      });
    } else {
      if (this.filled > 0) await this.flushPart();
      await this.upload.complete(this.parts);
    }
    this.part = new Uint8Array(0);
  }

  /** Abandons a multipart upload after a failure (best effort: R2 also expires unfinished uploads). */
  async abort(): Promise<void> {
    const upload = this.upload;
    this.upload = null;
    if (upload) await upload.abort().catch(() => undefined);
  }
}

const encoder = new TextEncoder();

/**
 * Writes pages of rows as CSV with a header row: each page is encoded and handed to the sink, so memory is
 * one page plus one part. Returns the number of rows.
 */
export async function writeCsv(pages: AsyncIterable<ReportRow[]>, sink: R2PartSink): Promise<number> {
  await sink.write(encoder.encode(csvHeader()));
  let rows = 0;
  for await (const page of pages) {
    rows += page.length;
    await sink.write(encoder.encode(csvLines(page)));
  }
  return rows;
}

/**
 * hyparquet-writer's byte buffer, emptied into the sink after every row group (the writer calls `flush`
 * then), so the file is never held whole: only the row group being encoded is.
 */
class SinkByteWriter extends ByteWriter {
  constructor(private readonly sink: R2PartSink) {
    super(1024 * 1024);
  }

  flush(): Promise<void> {
    const bytes = this.getBytes();
    this.index = 0;
    return this.sink.write(bytes);
  }

  override finish(): void {}
}

/**
 * Writes pages of rows as Parquet: typed columns (see PARQUET_SCHEMA), snappy-compressed, in row groups of
 * `rowGroupRows`. Returns the number of rows.
 */
export async function writeParquet(
  pages: AsyncIterable<ReportRow[]>,
  sink: R2PartSink,
  rowGroupRows = PARQUET_ROW_GROUP_ROWS,
): Promise<number> {
  const writer = new SinkByteWriter(sink);
  const pq = new ParquetWriter({
    writer,
    schema: PARQUET_SCHEMA as ConstructorParameters<typeof ParquetWriter>[0]['schema'],
    createdBy: 'pulsestream',
    kvMetadata: [{ key: 'pulsestream.columns', value: REPORT_COLUMNS.join(',') }],
  });
  let rows = 0;
  let group: ReportRow[] = [];
  const writeGroup = async () => {
    const columnData = parquetColumns(group) as Parameters<typeof pq.write>[0]['columnData'];
    group = [];
    await pq.write({ columnData, rowGroupSize: rowGroupRows });
  };
  for await (const page of pages) {
    rows += page.length;
    for (const row of page) {
      group.push(row);
      // Exactly `rowGroupRows` per group whatever the page size; the last group takes the remainder.
      if (group.length === rowGroupRows) await writeGroup();
    }
  }
  if (group.length > 0 || rows === 0) await writeGroup();
  await pq.finish();
  await writer.flush();
  return rows;
}

/** Writes the rows in `format`. */
export function writeReport(
  format: ReportFormat,
  pages: AsyncIterable<ReportRow[]>,
  sink: R2PartSink,
): Promise<number> {
  return format === 'csv' ? writeCsv(pages, sink) : writeParquet(pages, sink);
}
