import { findIngestKeyByHash, type IngestKey } from '@pulsestream/db';
import type { Services } from './services';

/**
 * Isolate-level cache of API key → tenant and plan. Keys do not encode their tenant, so without it every
 * ingest request would need a database lookup before it can even reach its tenant's gate. The cache is
 * only a directory: the TenantGate stays authoritative for revocation and scope, so a stale entry can
 * at worst carry plan limits up to `FRESH_MS` old.
 */
interface Entry {
  key: IngestKey | null;
  at: number;
}

const FRESH_MS = 60_000;
/** Unknown hashes are remembered briefly so a client hammering with a bad key does not hammer Postgres. */
const NEGATIVE_MS = 10_000;
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Entry>();

export interface ResolvedKey {
  key: IngestKey;
  /** True when read from the database in this request: the gate is then told about it (`knownKey`). */
  fresh: boolean;
}

function remember(keyHash: string, key: IngestKey | null, now: number): void {
  cache.delete(keyHash);
  if (cache.size >= MAX_ENTRIES) {
    // Map iteration is insertion order: the first entry is the oldest.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(keyHash, { key, at: now });
}

/**
 * The tenant and plan for a key hash: from the isolate cache while fresh, else from the database. When
 * the database is down, a stale entry is still used (the gate decides on revocation), so ingestion keeps
 * working through a database outage for keys this isolate has seen.
 * @param forceFresh skip the cache (the gate said it has never heard of the key).
 */
export async function resolveIngestKey(
  services: Services,
  keyHash: string,
  forceFresh = false,
): Promise<ResolvedKey | null> {
  const now = Date.now();
  const entry = cache.get(keyHash);
  if (entry && !forceFresh) {
    const age = now - entry.at;
    if (entry.key && age < FRESH_MS) return { key: entry.key, fresh: false };
    if (!entry.key && age < NEGATIVE_MS) return null;
  }
  let key: IngestKey | null;
  try {
    key = await findIngestKeyByHash(services.db(), keyHash);
  } catch (err) {
    if (entry?.key) {
      services.logger.warn('ingest: key lookup failed, using cached entry', { error: (err as Error).message });
      return { key: entry.key, fresh: false };
    }
    throw err;
  }
  remember(keyHash, key, now);
  return key ? { key, fresh: true } : null;
}

/** Forgets every cached key (tests change plans under a running isolate). */
export function clearIngestKeyCache(): void {
  cache.clear();
}
