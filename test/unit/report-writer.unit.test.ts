import type { ReportRow } from '@pulsestream/core/reports';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, type PartBucket, R2PartSink, writeCsv, writeParquet } from '../../workers/lib/report-writer';
import { parseRange } from '../../workers/routes/reports/download';

/** An in-memory bucket that enforces R2's multipart rules: equal parts of at least 5 MiB, all but the last. */
function fakeBucket() {
  const objects = new Map<string, Uint8Array>();
  const calls: string[] = [];
  const bucket: PartBucket = {
    async put(key, value) {
      calls.push(`put ${(value as Uint8Array).byteLength}`);
      objects.set(key, new Uint8Array(value as Uint8Array));
    },
    async createMultipartUpload(key) {
      calls.push('create');
      const parts = new Map<number, Uint8Array>();
      return {
        async uploadPart(n, value) {
          calls.push(`part ${n} ${(value as Uint8Array).byteLength}`);
          parts.set(n, new Uint8Array(value as Uint8Array));
          return { partNumber: n, etag: `e${n}` };
        },
        async complete(list) {
          const sizes = list.map((p) => (parts.get(p.partNumber) as Uint8Array).length);
          const head = sizes.slice(0, -1);
          if (head.some((s) => s !== head[0] || s < MIN_PART_BYTES)) throw new Error(`bad part sizes ${sizes}`);
          const total = sizes.reduce((a, b) => a + b, 0);
          const out = new Uint8Array(total);
          let at = 0;
          for (const p of list) {
            const bytes = parts.get(p.partNumber) as Uint8Array;
            out.set(bytes, at);
            at += bytes.length;
          }
          calls.push('complete');
          objects.set(key, out);
        },
        async abort() {
          calls.push('abort');
        },
      };
    },
  };
  return { bucket, objects, calls };
}

const row = (i: number): ReportRow => ({
  id: `evt-${i}`,
  timestamp: Date.UTC(2026, 10, 1) + i * 1000,
  type: 'api_call',
  source: i % 2 ? 'stripe' : 'twilio',
  endpoint: i % 3 ? 'POST /v1/charges' : null,
  method: 'POST',
  status: i % 4 ? 200 : null,
  latency_ms: i % 5 ? i / 7 : null,
  country: i % 6 ? 'DE' : null,
  properties: i % 2 ? `{"i": ${i}}` : null,
});

async function* pages(total: number, size: number): AsyncGenerator<ReportRow[]> {
  for (let first = 0; first < total; first += size) {
    yield Array.from({ length: Math.min(size, total - first) }, (_, k) => row(first + k));
  }
}

describe('R2PartSink', () => {
  it('writes a small file with one put', async () => {
    const { bucket, objects, calls } = fakeBucket();
    const sink = new R2PartSink(bucket, 'k', 'text/csv', MIN_PART_BYTES);
    await sink.write(new Uint8Array([1, 2, 3]));
    await sink.finish();
    expect(calls).toEqual(['put 3']);
    expect([...(objects.get('k') as Uint8Array)]).toEqual([1, 2, 3]);
    expect(sink.bytes).toBe(3);
  });

  it('splits a large stream into equal parts across write boundaries, and keeps every byte in order', async () => {
    const { bucket, objects, calls } = fakeBucket();
    const sink = new R2PartSink(bucket, 'k', 'text/csv', MIN_PART_BYTES);
    const total = MIN_PART_BYTES * 2 + 12345;
    const chunk = 777_777;
    for (let at = 0; at < total; at += chunk) {
      const n = Math.min(chunk, total - at);
      await sink.write(Uint8Array.from({ length: n }, (_, k) => (at + k) % 251));
    }
    await sink.finish();
    expect(calls).toEqual([
      'create',
      `part 1 ${MIN_PART_BYTES}`,
      `part 2 ${MIN_PART_BYTES}`,
      'part 3 12345',
      'complete',
    ]);
    const out = objects.get('k') as Uint8Array;
    expect(out.length).toBe(total);
    expect(out.every((b, i) => b === i % 251)).toBe(true);
    expect(sink.bytes).toBe(total);
  });

  it('refuses parts below R2’s minimum', () => {
    expect(() => new R2PartSink(fakeBucket().bucket, 'k', 'x', MIN_PART_BYTES - 1)).toThrow();
  });
});

describe('format writers', () => {
  it('CSV: a header and one line per row', async () => {
    const { bucket, objects } = fakeBucket();
    const sink = new R2PartSink(bucket, 'k', 'text/csv', MIN_PART_BYTES);
    expect(await writeCsv(pages(2500, 1000), sink)).toBe(2500);
    await sink.finish();
    const lines = new TextDecoder().decode(objects.get('k')).split('\r\n');
    expect(lines[0]).toBe('id,timestamp,type,source,endpoint,method,status,latency_ms,country,properties');
    expect(lines).toHaveLength(2502);
    expect(lines[2501]).toBe('');
  });

  it('Parquet: row groups of the given size, read back equal by hyparquet', async () => {
    const { bucket, objects } = fakeBucket();
    const sink = new R2PartSink(bucket, 'k', 'application/vnd.apache.parquet', MIN_PART_BYTES);
    expect(await writeParquet(pages(2500, 300), sink, 1000)).toBe(2500);
    await sink.finish();
    const bytes = objects.get('k') as Uint8Array;
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    expect(parquetMetadata(file).row_groups.map((g) => Number(g.num_rows))).toEqual([1000, 1000, 500]);
    const read = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(read).toHaveLength(2500);
    read.forEach((r, i) => {
      const e = row(i);
      expect(r.id).toBe(e.id);
      expect((r.timestamp as Date).getTime()).toBe(e.timestamp);
      expect(r.endpoint ?? null).toBe(e.endpoint);
      expect(r.status ?? null).toBe(e.status);
      expect(r.latency_ms ?? null).toBe(e.latency_ms);
      expect(r.properties ?? null).toBe(e.properties);
    });
  });

  it('Parquet: an empty report is a valid file with the columns', async () => {
    const { bucket, objects } = fakeBucket();
    const sink = new R2PartSink(bucket, 'k', 'application/vnd.apache.parquet', MIN_PART_BYTES);
    expect(await writeParquet(pages(0, 10), sink)).toBe(0);
    await sink.finish();
    const bytes = objects.get('k') as Uint8Array;
    const meta = parquetMetadata(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    expect(Number(meta.num_rows)).toBe(0);
    expect(meta.schema.slice(1).map((e) => e.name)).toContain('properties');
  });
});

describe('parseRange', () => {
  it('reads one bytes range and ignores everything else', () => {
    expect(parseRange('bytes=0-99')).toEqual({ offset: 0, length: 100 });
    expect(parseRange('bytes=100-')).toEqual({ offset: 100 });
    expect(parseRange('bytes=-8')).toEqual({ suffix: 8 });
    expect(parseRange('bytes=5-4')).toBeUndefined();
    expect(parseRange('bytes=-0')).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6')).toBeUndefined();
    expect(parseRange('items=0-1')).toBeUndefined();
    expect(parseRange(`bytes=${'9'.repeat(20)}-`)).toBeUndefined();
    expect(parseRange(undefined)).toBeUndefined();
  });
});
