import { DurableObject } from 'cloudflare:workers';

/**
 * Per-tenant admission control: API key cache, token buckets, monthly quota and idempotency keys, in the
 * object's SQLite storage. One RPC per ingest request.
 */
export class TenantGate extends DurableObject<Env> {}
