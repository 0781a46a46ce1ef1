/**
 * What the compatible-ingestion routes (Segment, OTLP) share with `POST /v1/events` after their own wire
 * format: the same key lookup and admission (`open-ingest.ts`, `admission.ts`), the same bounded body reader
 * (`read-body.ts`), the same enrichment and queue messages (`edge-geo.ts`, `enqueue.ts`). Each route only reads
 * its own format and maps it to events.
 */
import type { NormalizedEvent } from '@pulsestream/core/event-schema';
import type { QueuedEvent } from '../../consumers/messages';
import type { AppContext } from '../app';
import { ApiError } from '../errors';
import { edgeGeoOf } from './edge-geo';
import { enqueueEvents, PIPELINE_RETRY_AFTER } from './enqueue';
import type { OpenedIngest } from './open-ingest';
import { type BodyRules, readBody } from './read-body';

export { openIngest } from './open-ingest';

/**
 * Reads the body within `rules` (after decompression). A refusal goes through admission, so it is keyed and
 * counted, and thrown as its problem.
 */
export async function readBoundedBody(c: AppContext, opened: OpenedIngest, rules: BodyRules): Promise<Uint8Array> {
  const body = await readBody(c.req.raw, rules);
  return body.ok ? body.value : opened.admission.refuse(body.refusal, 1);
}

export interface Queued {
  accepted: number;
  /** RateLimit-* headers for the response. */
  headers: Record<string, string>;
}

/**
 * Admits `valid` (charging them, and `rejected` as refused, against the tenant's limits and usage), enriches
 * them with the edge's geo data and awaits the queue send. Throws admission's refusal as its problem. All or
 * nothing: if the queue takes only part, the rest is released and the request fails with 503, so the client
 * resends the whole batch; the ids are stable, so what did reach the queue is stored once.
 */
export async function admitAndQueue(
  c: AppContext,
  opened: OpenedIngest,
  valid: NormalizedEvent[],
  rejected: number,
  bytes: number,
): Promise<Queued> {
  const { admission, resolved } = opened;
  const now = Date.now();
  const admitted = await admission.admit({ events: valid.length, rejected, bytes });
  // Nothing to store (an export of non-HTTP spans only): admission checked the key and counted the refusals.
  if (admitted.outcome === 'checked') return { accepted: 0, headers: admitted.headers };
  if (admitted.outcome === 'replay') throw new ApiError('internal', 'The gate replayed a request without a key.');

  const geo = edgeGeoOf(c.req.raw);
  const events: QueuedEvent[] = valid.map((e) => ({ ...e, receivedAt: now, ...geo }));
  const tenantId = resolved.key.tenantId;
  const { sent, error } = await enqueueEvents(c.env.EVENTS, tenantId, events);
  if (error !== undefined) {
    c.get('logger').error('ingest: queue send failed', {
      tenant: tenantId,
      sent,
      total: events.length,
      error: error instanceof Error ? error.message : String(error),
    });
    const unsent = events.length - sent;
    await admission.release(admitted.receipt, unsent, Math.round((bytes * unsent) / events.length), undefined);
    throw new ApiError('unavailable', 'The pipeline is unavailable; retry the whole request later.', {
      headers: { 'Retry-After': PIPELINE_RETRY_AFTER, ...admitted.headers },
    });
  }
  return { accepted: events.length, headers: admitted.headers };
}
