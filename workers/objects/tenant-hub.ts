import { DurableObject } from 'cloudflare:workers';
import type { ExposedAlert } from '@pulsestream/core/alerting/exposition';
import { errorMessage } from '@pulsestream/core/error-message';
import { closeReply } from '@pulsestream/core/live-close';
import {
  type LiveFilter,
  liveFilterKey,
  matchesLiveFilter,
  parseClientMessage,
} from '@pulsestream/core/live-subscription';
import {
  createLiveTicket,
  isLiveTicketUsable,
  LIVE_TICKET_TTL_MS,
  type LiveTicket,
  liveTicketHash,
} from '@pulsestream/core/live-ticket';
import {
  RollingWindows,
  type WindowName,
  type WindowStats,
  type WindowsSnapshot,
} from '@pulsestream/core/rolling-windows';
import {
  joinMinuteParts,
  type MinuteData,
  type MinutePart,
  splitMinute,
} from '@pulsestream/core/rolling-windows-parts';
import { type BucketConfig, type BucketState, fullBucket, tryTake } from '@pulsestream/core/token-bucket';
import { describeFailure, type EventInsert } from '@pulsestream/db';
import { problemResponse } from '../lib/errors';
import { createLogger, type Logger, logLevelOf } from '../lib/logger';
import { type CounterSnapshot, HubCounters } from './hub-counters';
import { type AlertEvent, HubAlerting } from './tenant-hub/alerts';

/** An event as the pipeline forwards it to the live view, after it was stored: the stored row's live fields. */
export type LiveEvent = Pick<
  EventInsert,
  'id' | 'timestamp' | 'type' | 'source' | 'endpoint' | 'method' | 'status' | 'latencyMs'
> & { country: string | null };

/** Window figures as the live protocol and the metrics API expose them. */
export type LiveWindows = Record<WindowName, WindowStats>;

/** The hub's current rolling metrics: tenant-wide and per source. */
export interface HubMetrics {
  /** epoch ms the windows were computed at */
  at: number;
  overall: LiveWindows;
  bySource: Record<string, LiveWindows>;
  /** Cumulative Prometheus series, persisted across restarts. */
  cumulative: CounterSnapshot;
}

/** Per-socket state, kept with `serializeAttachment` so it survives hibernation. */
interface SocketAttachment {
  userId: string;
  filter: LiveFilter;
  connectedAt: number;
  /** consecutive flushes during which the socket's send buffer stayed above the high-water mark */
  behind: number;
}

/** Coalescing period: sockets receive at most one `events` and one `metrics` frame per period. */
export const FLUSH_INTERVAL_MS = 250;
/** Events kept for the live tail and sent in the snapshot. */
export const RING_SIZE = 500;
/** Events one `events` frame carries at most; older ones of the same period are counted in `dropped`. */
export const MAX_EVENTS_PER_FRAME = 500;
/** Subscribe messages per socket: a burst of 10, then one every 2 s. */
const SUBSCRIBE_LIMIT: BucketConfig = { capacity: 10, refillPerSec: 0.5 };

/** A checkpoint of the windows is written at most this long after the first un-checkpointed event. */
export const CHECKPOINT_DELAY_MS = 5_000;
/** …or at once when this many events wait in the replay log, which bounds the work of a restore. */
export const CHECKPOINT_MAX_PENDING = 20_000;
/** Send-buffer high-water mark: above it a socket gets metrics only (events frames are dropped). */
export const SLOW_SOCKET_BYTES = 256 * 1024;
/** A socket above the mark for this many consecutive flushes (≈ 5 s) is closed with {@link CLOSE_TOO_SLOW}. */
export const SLOW_SOCKET_FLUSHES = 20;
/** While sockets are open, metrics are pushed at least this often, so windows decay on screen without traffic. */
export const HEARTBEAT_MS = 10_000;
/** Application close code: the client does not read fast enough. */
export const CLOSE_TOO_SLOW = 4008;

/**
 * Per-tenant live state: hibernating WebSockets, rolling windows, alert evaluation, recent events ring.
 *
 * Persistence (DO SQLite), so that nothing acknowledged to the pipeline is lost on eviction:
 * - `pending`: every ingested event's window and alert-filter fields (source, endpoint), written in the same
 *   synchronous storage transaction as the in-memory update, before `ingest` returns (the output gate holds the
 *   reply until it is durable).
 * - `window_parts`: a checkpoint of the windows, each minute in parts of at most 1 MiB (a minute of 200 sources'
 *   sketches can pass the platform's 2 MB value limit; see `rolling-windows-parts`), and `alert_series`: the alert
 *   series' changed minutes; both written by the next alarm ({@link CHECKPOINT_DELAY_MS} after the first
 *   un-checkpointed event, or the pending heartbeat or alerting tick, ≤ {@link HEARTBEAT_MS}), in one transaction
 *   with the deletion of the `pending` rows they cover; at once when {@link CHECKPOINT_MAX_PENDING} events wait.
 * - Restore = last checkpoint + replay of `pending`, for the windows and the alert series alike, so each event is
 *   counted once. Per event the hot path pays one small row insert, not a re-serialization of the windows.
 * - `ring`: the last {@link RING_SIZE} events for the live tail; `tickets`: single-use live tickets (hashed).
 * - Alert rules, states, baselines and outbox: see tenant-hub/alerts.ts.
 */
export class TenantHub extends DurableObject<Env> {
  private windows = new RollingWindows();
  private readonly counters: HubCounters;
  private readonly log: Logger;
  /** Minutes changed since the last checkpoint. */
  private readonly dirtyMinutes = new Set<number>();
  private pendingCount = 0;
  private checkpointScheduled = false;
  /** Events received since the last flush, newest last, bounded. */
  private outbox: LiveEvent[] = [];
  private outboxDropped = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = 0;
  /** Attachments read once per socket object (deserializing on every flush would dominate fan-out). */
  private readonly attachments = new WeakMap<WebSocket, SocketAttachment>();
  /** Subscribe rate per socket; in memory only (a hibernated hub wakes with full buckets, which is fine). */
  private readonly subscribeBuckets = new WeakMap<WebSocket, { bucket: BucketState; refused: number }>();
  /** Frame-sharing key per filter object (filters are replaced, never mutated). */
  private readonly filterKeys = new WeakMap<LiveFilter, string>();
  /** Alert rule evaluation (tenant-hub/alerts.ts); public so tests can drive its clock. */
  readonly alerting: HubAlerting;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = createLogger(logLevelOf(env.LOG_LEVEL), { component: 'tenant-hub' });
    this.counters = new HubCounters(ctx.storage.sql);
    this.alerting = new HubAlerting(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.migrate();
      this.alerting.migrate();
      // Alerting's rules and checkpointed series first: the replay log is then replayed into its series too.
      this.alerting.restore();
      this.restore();
      await this.armAlertingAlarm();
    });
    // Answered by the runtime without waking a hibernated hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---------------------------------------------------------------------------------------------- RPC

  /**
   * Called by the events consumer after each database write with the rows actually inserted. The windows,
   * the replay log and the ring are updated before this returns.
   */
  async ingest(events: LiveEvent[]): Promise<{ received: number }> {
    if (events.length === 0) return { received: 0 };
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        sql.exec(
          'INSERT INTO pending (ts, source, endpoint, type, status, latency) VALUES (?, ?, ?, ?, ?, ?)',
          e.timestamp,
          e.source,
          e.endpoint ?? null,
          e.type,
          e.status,
          e.latencyMs,
        );
      }
      // Only the newest RING_SIZE of a large batch can survive the trim anyway.
      for (const e of events.slice(-RING_SIZE)) sql.exec('INSERT INTO ring (event) VALUES (?)', JSON.stringify(e));
      sql.exec('DELETE FROM ring WHERE seq <= (SELECT max(seq) FROM ring) - ?', RING_SIZE);
      this.counters.record(events);
    });
    for (const e of events) {
      if (this.windows.add(this.windowEvent(e), now)) this.dirtyMinutes.add(this.minuteOf(e.timestamp, now));
    }
    this.pendingCount += events.length;
    this.alerting.observe(events);
    this.outbox.push(...events);
    if (this.outbox.length > MAX_EVENTS_PER_FRAME) {
      this.outboxDropped += this.outbox.length - MAX_EVENTS_PER_FRAME;
      this.outbox = this.outbox.slice(-MAX_EVENTS_PER_FRAME);
    }
    if (this.pendingCount >= CHECKPOINT_MAX_PENDING) this.checkpoint(now);
    else await this.scheduleCheckpoint(now);
    this.scheduleFlush(now);
    return { received: events.length };
  }

  /** The current windows, tenant-wide and per source (Prometheus exposition, dashboards). */
  async metrics(): Promise<HubMetrics> {
    const now = Date.now();
    // RPC cannot clone a null-prototype object; fromEntries makes "__proto__" an own property, which clones.
    const bySource = Object.fromEntries(Object.entries(this.windows.bySource(now)));
    return { at: now, overall: this.windows.snapshot(now), bySource, cumulative: this.counters.snapshot() };
  }

  /** The most recent events, newest first. */
  async recent(limit = RING_SIZE): Promise<LiveEvent[]> {
    return this.ringEvents(Math.min(Math.max(0, limit), RING_SIZE)).reverse();
  }

  /** Issues a single-use ticket for `userId`, valid {@link LIVE_TICKET_TTL_MS}. Only its hash is stored. */
  async issueTicket(tenantId: string, userId: string): Promise<LiveTicket> {
    const now = Date.now();
    const { ticket, hash, expiresAt } = await createLiveTicket(tenantId, now);
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM tickets WHERE expires_at <= ?', now);
    sql.exec('INSERT INTO tickets (hash, user_id, expires_at) VALUES (?, ?, ?)', hash, userId, expiresAt);
    return { ticket, expiresIn: LIVE_TICKET_TTL_MS / 1000 };
  }

  /**
   * Ends a user's live access at once: their unused tickets are deleted and their open sockets closed
   * (4003). Called when the user is deleted or their role changes; a user who may still read can ask for a
   * new ticket, which the Worker issues only after checking the user against the database.
   */
  async revokeUser(userId: string): Promise<{ tickets: number; sockets: number }> {
    const tickets = this.ctx.storage.sql.exec('DELETE FROM tickets WHERE user_id = ?', userId).rowsWritten;
    const sockets = this.ctx.getWebSockets(`user:${userId}`);
    for (const ws of sockets) {
      this.attachments.delete(ws);
      try {
        ws.close(4003, 'live access revoked');
      } catch {
        // Already closing: nothing more to do.
      }
    }
    return { tickets, sockets: sockets.length };
  }

  /** Reloads alert rules and silences from Postgres (the alerting routes call it after a change). */
  async reloadAlerting(tenantId: string): Promise<void> {
    try {
      await this.alerting.reload(tenantId);
    } catch (err) {
      // The driver's reason for the caller, not the SQL text (and parameters) drizzle wraps it in.
      throw new Error(`alert rule reload failed: ${describeFailure(err)}`);
    } finally {
      // Also after a failure: the alarm retries the reload.
      await this.armAlertingAlarm();
    }
  }

  /** Sets the acknowledged flag of a firing incident (recorded in Postgres by the route). */
  async acknowledgeAlert(ruleId: string, alertId: string): Promise<boolean> {
    return this.alerting.acknowledge(ruleId, alertId);
  }

  /** Pending and firing rules, for the Prometheus exposition's ALERTS series. */
  async alertExposition(): Promise<ExposedAlert[]> {
    return this.alerting.exposed();
  }

  // --------------------------------------------------------------------------------- WebSocket upgrade

  /** Only WebSocket upgrades reach the hub over fetch; the Worker has already checked the path. */
  override async fetch(request: Request): Promise<Response> {
    const requestId = request.headers.get('x-request-id') ?? 'unknown';
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return problemResponse('upgrade_required', 'Connect with a WebSocket upgrade.', requestId);
    }
    const ticket = new URL(request.url).searchParams.get('ticket') ?? '';
    const now = Date.now();
    const hash = await liveTicketHash(ticket);
    // Single use: the row is deleted by the same statement that reads it.
    const rows = this.ctx.storage.sql
      .exec<{ user_id: string; expires_at: number }>(
        'DELETE FROM tickets WHERE hash = ? RETURNING user_id, expires_at',
        hash,
      )
      .toArray();
    const row = rows[0];
    if (!row || !isLiveTicketUsable({ expiresAt: row.expires_at }, now)) {
      return problemResponse('unauthorized', 'The live ticket is unknown, used or expired.', requestId);
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const attachment: SocketAttachment = { userId: row.user_id, filter: {}, connectedAt: now, behind: 0 };
    this.ctx.acceptWebSocket(server, [`user:${row.user_id}`]);
    server.serializeAttachment(attachment);
    this.attachments.set(server, attachment);
    this.sendSnapshot(server, attachment.filter, now);
    if (this.windows.bucketCount > 0 && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(now + HEARTBEAT_MS);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  // ------------------------------------------------------------------------------- hibernation handlers

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      const parsed = parseClientMessage(message);
      if (parsed.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', t: Date.now() }));
      } else if (parsed.type === 'subscribe') {
        if (!this.admitSubscribe(ws, Date.now())) return;
        const attachment = { ...this.attachmentOf(ws), filter: parsed.filter };
        ws.serializeAttachment(attachment);
        this.attachments.set(ws, attachment);
        this.sendSnapshot(ws, parsed.filter, Date.now());
      } else {
        ws.send(JSON.stringify({ type: 'error', message: parsed.reason }));
      }
    } catch (err) {
      this.log.error('webSocketMessage failed', { error: errorMessage(err) });
    }
  }

  /**
   * Each subscribe costs a snapshot built for that socket, so a client sending them in a loop would keep the
   * hub's one thread busy: {@link SUBSCRIBE_LIMIT} per socket (a bucket refilled at one every 2 s). An extra
   * one is answered with an error frame and ignored; a client that keeps going past twice the burst is closed
   * (1008, policy violation).
   */
  private admitSubscribe(ws: WebSocket, now: number): boolean {
    const state = this.subscribeBuckets.get(ws) ?? { bucket: fullBucket(SUBSCRIBE_LIMIT, now), refused: 0 };
    const taken = tryTake(state.bucket, SUBSCRIBE_LIMIT, 1, now);
    state.bucket = taken.state;
    state.refused = taken.ok ? 0 : state.refused + 1;
    this.subscribeBuckets.set(ws, state);
    if (taken.ok) return true;
    if (state.refused > SUBSCRIBE_LIMIT.capacity * 2) {
      ws.close(1008, 'too many subscribe messages');
      return false;
    }
    ws.send(JSON.stringify({ type: 'error', message: 'too many subscribe messages; slow down' }));
    return false;
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Hibernation leaves answering the client's close to us; without an answer it ends up with 1006.
    const reply = closeReply(code);
    if (reply === null) return; // 1006/1015: no close frame arrived and nobody is left to answer
    try {
      ws.close(reply, reason);
    } catch (err) {
      // Already closed, or a reason over 123 bytes: nothing more to answer.
      this.log.info('webSocketClose: close not answered', { code, error: errorMessage(err) });
    }
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    this.log.warn('websocket error', { error: errorMessage(error) });
  }

  /**
   * Checkpoints the windows and alert series; and while sockets are open and the last hour had traffic, pushes a
   * metrics frame and re-arms, so on-screen windows decay (events/s, 1m counts) when traffic stops. Without sockets
   * or data the alarm is not re-armed and the hub can hibernate. A failed checkpoint fails the alarm (the runtime
   * retries it; the replay log keeps the events meanwhile) only after alerting has run and re-armed its alarm:
   * the live view's storage trouble must not stop alert evaluation, least of all `absent` rules.
   */
  override async alarm(): Promise<void> {
    this.checkpointScheduled = false;
    const now = Date.now();
    let checkpointFailure: unknown = null;
    try {
      this.checkpoint(now);
    } catch (err) {
      this.log.error('checkpoint failed', { error: errorMessage(err) });
      checkpointFailure = err;
    }
    if (this.ctx.getWebSockets().length > 0 && this.windows.bucketCount > 0) {
      try {
        this.flush();
      } catch (err) {
        this.log.error('heartbeat flush failed', { error: errorMessage(err) });
      }
      await this.ctx.storage.setAlarm(now + HEARTBEAT_MS);
    }
    try {
      await this.alerting.onAlarm();
    } catch (err) {
      this.log.error('alerting alarm failed', { error: errorMessage(err) });
    }
    await this.armAlertingAlarm();
    if (checkpointFailure !== null) throw checkpointFailure; // let the runtime retry the checkpoint
  }

  /** Keeps an alarm within ALERT_TICK_MS while the tenant has rules (or undelivered transitions). */
  private async armAlertingAlarm(): Promise<void> {
    const now = Date.now();
    const wanted = this.alerting.nextAlarmAt(now);
    if (wanted === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wanted) await this.ctx.storage.setAlarm(wanted);
  }

  // --------------------------------------------------------------------------------------- fan-out

  private scheduleFlush(now: number): void {
    if (this.flushTimer !== undefined) return;
    if (this.ctx.getWebSockets().length === 0) {
      // Nobody listens: drop the outbox, the ring still has the tail for the next snapshot.
      this.outbox = [];
      this.outboxDropped = 0;
      return;
    }
    const delay = Math.max(0, this.lastFlushAt + FLUSH_INTERVAL_MS - now);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      try {
        this.flush();
      } catch (err) {
        this.log.error('flush failed', { error: errorMessage(err) });
      }
    }, delay);
  }

  /** Sends one coalesced `events` and one `metrics` frame to every socket, serialized once per filter. */
  protected flush(): void {
    const now = Date.now();
    this.lastFlushAt = now;
    const events = this.outbox;
    const dropped = this.outboxDropped;
    this.outbox = [];
    this.outboxDropped = 0;
    const frames = new Map<string, { events: string | null; metrics: string }>();
    let bySource: Record<string, WindowsSnapshot> | undefined;
    let overall: WindowsSnapshot | undefined;
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      try {
        const attachment = this.attachmentOf(ws);
        let key = this.filterKeys.get(attachment.filter);
        if (key === undefined) {
          key = liveFilterKey(attachment.filter);
          this.filterKeys.set(attachment.filter, key);
        }
        let frame = frames.get(key);
        if (!frame) {
          const matching = events.filter((e) => matchesLiveFilter(attachment.filter, e));
          let windows: WindowsSnapshot;
          if (attachment.filter.source === undefined) {
            overall ??= this.windows.snapshot(now);
            windows = overall;
          } else {
            bySource ??= this.windows.bySource(now);
            windows = bySource[attachment.filter.source] ?? this.emptyWindows(now);
          }
          frame = {
            events:
              matching.length > 0 || dropped > 0
                ? JSON.stringify({ type: 'events', t: now, events: matching, ...(dropped > 0 ? { dropped } : {}) })
                : null,
            metrics: JSON.stringify({ type: 'metrics', t: now, windows }),
          };
          frames.set(key, frame);
        }
        const buffered = this.socketBacklog(ws);
        if (buffered !== null && buffered > SLOW_SOCKET_BYTES) {
          // Behind: coalesce to the latest metrics only, and give up on a socket that never catches up.
          const behind = attachment.behind + 1;
          if (behind >= SLOW_SOCKET_FLUSHES) {
            ws.close(CLOSE_TOO_SLOW, 'client too slow');
            continue;
          }
          this.updateAttachment(ws, { ...attachment, behind });
          ws.send(frame.metrics);
          continue;
        }
        if (attachment.behind > 0) this.updateAttachment(ws, { ...attachment, behind: 0 });
        // Events first: they are what a live tail waits for; the metrics frame summarizes the same period.
        if (frame.events) ws.send(frame.events);
        ws.send(frame.metrics);
      } catch (err) {
        this.log.warn('send to socket failed', { error: errorMessage(err) });
      }
    }
  }

  /**
   * Bytes a socket has queued but not sent, where the runtime tells: workerd does not implement
   * `bufferedAmount` yet (cloudflare/workerd#988), so today this is null and a socket's memory is bounded
   * by the coalescing alone (≤ 2 frames per period, ≤ MAX_EVENTS_PER_FRAME events each). Tests override it.
   */
  protected socketBacklog(ws: WebSocket): number | null {
    const value = (ws as unknown as { bufferedAmount?: unknown }).bufferedAmount;
    return typeof value === 'number' ? value : null;
  }

  private sendSnapshot(ws: WebSocket, filter: LiveFilter, now: number): void {
    const windows =
      filter.source === undefined
        ? this.windows.snapshot(now)
        : (this.windows.bySource(now)[filter.source] ?? this.emptyWindows(now));
    const events = this.ringEvents(RING_SIZE)
      .filter((e) => matchesLiveFilter(filter, e))
      .reverse();
    ws.send(JSON.stringify({ type: 'snapshot', t: now, filter, windows, events }));
  }

  private attachmentOf(ws: WebSocket): SocketAttachment {
    let attachment = this.attachments.get(ws);
    if (!attachment) {
      const stored = ws.deserializeAttachment() as SocketAttachment | null;
      attachment = stored ?? { userId: 'unknown', filter: {}, connectedAt: 0, behind: 0 };
      this.attachments.set(ws, attachment);
    }
    return attachment;
  }

  private updateAttachment(ws: WebSocket, attachment: SocketAttachment): void {
    ws.serializeAttachment(attachment);
    this.attachments.set(ws, attachment);
  }

  private emptyWindows(now: number): WindowsSnapshot {
    return new RollingWindows().snapshot(now);
  }

  // ----------------------------------------------------------------------------------- persistence

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec(`CREATE TABLE IF NOT EXISTS window_parts (minute INTEGER NOT NULL, part INTEGER NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (minute, part))`);
      // Hubs checkpointed before parts kept one row per minute: each becomes its minute's part 0.
      const legacy = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'window_minutes'");
      if (legacy.toArray().length > 0) {
        sql.exec('INSERT OR REPLACE INTO window_parts (minute, part, data) SELECT minute, 0, data FROM window_minutes');
        sql.exec('DROP TABLE window_minutes');
      }
    });
    sql.exec(`CREATE TABLE IF NOT EXISTS pending (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, source TEXT NOT NULL, type TEXT,
      status INTEGER, latency REAL, endpoint TEXT)`);
    this.addPendingEndpoint();
    sql.exec(`CREATE TABLE IF NOT EXISTS ring (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL)`);
  }

  /** Replay logs written before alert filters needed the endpoint (null in their old rows) get the column. */
  private addPendingEndpoint(): void {
    const sql = this.ctx.storage.sql;
    const columns = sql.exec<{ name: string }>('PRAGMA table_info(pending)').toArray();
    if (!columns.some((c) => c.name === 'endpoint')) sql.exec('ALTER TABLE pending ADD COLUMN endpoint TEXT');
  }

  /**
   * The windows from their last checkpoint, then the replay log into the windows and the alert series (restored
   * from theirs by then), streamed: a log that grew while checkpoints failed need not fit in memory twice.
   */
  private restore(): void {
    const now = Date.now();
    this.windows = this.checkpointedWindows();
    this.pendingCount = 0;
    for (const event of this.pendingEvents()) {
      if (this.windows.add(event, now)) this.dirtyMinutes.add(this.minuteOf(event.timestamp, now));
      this.alerting.replay([event]);
      this.pendingCount++;
    }
  }

  /** The replay log: events ingested since the last checkpoint, oldest first. */
  private *pendingEvents(): Generator<AlertEvent> {
    const rows = this.ctx.storage.sql.exec<{
      ts: number;
      source: string;
      endpoint: string | null;
      type: string | null;
      status: number | null;
      latency: number | null;
    }>('SELECT ts, source, endpoint, type, status, latency FROM pending ORDER BY seq');
    for (const row of rows) {
      yield {
        timestamp: row.ts,
        source: row.source,
        endpoint: row.endpoint,
        type: row.type ?? undefined,
        status: row.status,
        latencyMs: row.latency,
      };
    }
  }

  private checkpointedWindows(): RollingWindows {
    const fresh = new RollingWindows();
    try {
      const minutes = this.checkpointedMinutes();
      if (minutes.length === 0) return fresh;
      return RollingWindows.fromJSON({ v: 1, a: fresh.relativeAccuracy, maxSources: fresh.maxSources, minutes });
    } catch (err) {
      // A corrupt checkpoint must not brick the hub: start empty and replay what is pending.
      this.log.error('window checkpoint unreadable; starting empty', { error: errorMessage(err) });
      return fresh;
    }
  }

  private async scheduleCheckpoint(now: number): Promise<void> {
    if (this.checkpointScheduled) return;
    this.checkpointScheduled = true;
    const existing = await this.ctx.storage.getAlarm();
    if (existing === null) await this.ctx.storage.setAlarm(now + CHECKPOINT_DELAY_MS);
  }

  /**
   * Writes the changed minutes of the windows and of the alert series and drops the replay log they cover, in one
   * transaction: a restore replays exactly the events neither checkpoint holds.
   */
  private checkpoint(now: number): void {
    this.windows.prune(now);
    const data = this.windows.toJSON();
    const oldest = Math.floor(now / 60_000) - 59;
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const minute of data.minutes) {
        if (!this.dirtyMinutes.has(minute.m)) continue;
        sql.exec('DELETE FROM window_parts WHERE minute = ?', minute.m);
        for (const [part, text] of splitMinute(minute).entries()) {
          sql.exec('INSERT INTO window_parts (minute, part, data) VALUES (?, ?, ?)', minute.m, part, text);
        }
      }
      sql.exec('DELETE FROM window_parts WHERE minute < ?', oldest);
      this.alerting.writeSeries();
      sql.exec('DELETE FROM pending');
    });
    this.dirtyMinutes.clear();
    this.alerting.seriesWritten();
    this.pendingCount = 0;
  }

  /** The checkpointed minutes, each joined from its stored parts. */
  private checkpointedMinutes(): MinuteData[] {
    const parts = new Map<number, MinutePart[]>();
    const rows = this.ctx.storage.sql.exec<{ minute: number; data: string }>(
      'SELECT minute, data FROM window_parts ORDER BY minute, part',
    );
    for (const row of rows) {
      const ofMinute = parts.get(row.minute) ?? [];
      ofMinute.push(JSON.parse(row.data) as MinutePart);
      parts.set(row.minute, ofMinute);
    }
    return [...parts.values()].map(joinMinuteParts);
  }

  private ringEvents(limit: number): LiveEvent[] {
    // Oldest first, the last `limit` of the ring.
    return this.ctx.storage.sql
      .exec<{ event: string }>(
        'SELECT event FROM (SELECT seq, event FROM ring ORDER BY seq DESC LIMIT ?) ORDER BY seq',
        limit,
      )
      .toArray()
      .map((r) => JSON.parse(r.event) as LiveEvent);
  }

  private windowEvent(e: LiveEvent) {
    return { timestamp: e.timestamp, source: e.source, type: e.type, status: e.status, latencyMs: e.latencyMs };
  }

  /** The minute bucket RollingWindows puts an event in (future-skewed events count in the current minute). */
  private minuteOf(timestamp: number, now: number): number {
    return Math.min(Math.floor(timestamp / 60_000), Math.floor(now / 60_000));
  }
}
