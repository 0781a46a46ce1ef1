import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import type { EventInsert } from './events';

/** Filters of `GET /v1/events`. */
export interface EventListQuery {
  tenantId: string;
  from?: Date | undefined;
  to?: Date | undefined;
  source?: string | undefined;
  endpoint?: string | undefined;
  /** exact status, or a class (5 for 5xx) */
  status?: { exact: number } | { class: number } | undefined;
  type?: string | undefined;
  limit: number;
  /** keyset position: events strictly older than (ts, id) in (ts desc, id desc) order */
  after?: EventCursor | undefined;
}

/** Position in the (ts desc, id desc) order. `tsMicros` keeps Postgres' microsecond precision. */
export interface EventCursor {
  tsMicros: string;
  id: string;
}

/** A stored event as the list returns it: the inserted fields, with ISO times and every column present. */
export type ListedEvent = Required<Omit<EventInsert, 'tenantId' | 'timestamp' | 'receivedAt'>> & {
  timestamp: string;
  receivedAt: string;
};

/**
 * One page of events, newest first, by keyset on (ts, id) — the order of `events_tenant_ts_idx`, so a page
 * is an index range scan whatever its depth (no OFFSET). Returns `limit + 1` rows at most; the caller uses
 * the extra row only to know there is a next page.
 */
export async function listEvents(
  db: Database,
  q: EventListQuery,
): Promise<{ events: ListedEvent[]; next: EventCursor | null }> {
  const where: SQL[] = [sql`tenant_id = ${q.tenantId}`];
  if (q.from) where.push(sql`ts >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) where.push(sql`ts < ${q.to.toISOString()}::timestamptz`);
  if (q.source !== undefined) where.push(sql`source = ${q.source}`);
  if (q.endpoint !== undefined) where.push(sql`endpoint = ${q.endpoint}`);
  if (q.type !== undefined) where.push(sql`type = ${q.type}`);
  if (q.status && 'exact' in q.status) where.push(sql`status = ${q.status.exact}`);
  if (q.status && 'class' in q.status) {
    where.push(sql`status >= ${q.status.class * 100} AND status < ${q.status.class * 100 + 100}`);
  }
  if (q.after) {
    where.push(
      sql`(ts, id) < (timestamptz 'epoch' + ${q.after.tsMicros}::bigint * interval '1 microsecond', ${q.after.id})`,
    );
  }
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts_iso,
           to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_iso,
           ((extract(epoch FROM ts) * 1000000)::bigint)::text AS ts_us,
           type, source, endpoint, method, status, latency_ms, country, region, city, colo, asn, properties
    FROM events
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ts DESC, id DESC
    LIMIT ${q.limit + 1}`);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const events = page.map((r) => ({
    id: String(r.id),
    timestamp: String(r.ts_iso),
    receivedAt: String(r.received_iso),
    type: String(r.type),
    source: String(r.source),
    endpoint: (r.endpoint as string | null) ?? null,
    method: (r.method as string | null) ?? null,
    status: r.status === null || r.status === undefined ? null : Number(r.status),
    latencyMs: r.latency_ms === null || r.latency_ms === undefined ? null : Number(r.latency_ms),
    country: (r.country as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    city: (r.city as string | null) ?? null,
    colo: (r.colo as string | null) ?? null,
    asn: r.asn === null || r.asn === undefined ? null : Number(r.asn),
    properties: (r.properties as Record<string, unknown> | null) ?? null,
  }));
  const next = rows.length > q.limit && last ? { tsMicros: String(last.ts_us), id: String(last.id) } : null;
  return { events, next };
}
