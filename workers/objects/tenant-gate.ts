import { DurableObject } from 'cloudflare:workers';

/** What the gate knows about one API key: enough to admit or refuse without the database. */
export interface GateKey {
  keyId: string;
  keyHash: string;
  scopes: string[];
  revoked: boolean;
}

/**
 * Per-tenant admission control: API key cache, token buckets, monthly quota and idempotency keys, in the
 * object's SQLite storage. One RPC per ingest request. Key create/revoke call `putKey` synchronously, so a
 * revoked key is refused from the next request on.
 */
export class TenantGate extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_hash TEXT PRIMARY KEY,
      key_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0
    )`);
  }

  /** Records a key (on create) or its revocation (on revoke). Idempotent. */
  async putKey(key: GateKey): Promise<void> {
    this.sql.exec(
      `INSERT INTO api_keys (key_hash, key_id, scopes, revoked) VALUES (?, ?, ?, ?)
       ON CONFLICT (key_hash) DO UPDATE SET key_id = excluded.key_id, scopes = excluded.scopes,
         revoked = max(api_keys.revoked, excluded.revoked)`,
      key.keyHash,
      key.keyId,
      JSON.stringify(key.scopes),
      key.revoked ? 1 : 0,
    );
  }

  /** The gate's copy of a key, or null when it has never heard of it. */
  async getKey(keyHash: string): Promise<GateKey | null> {
    const row = this.sql
      .exec<{ key_hash: string; key_id: string; scopes: string; revoked: number }>(
        'SELECT key_hash, key_id, scopes, revoked FROM api_keys WHERE key_hash = ?',
        keyHash,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      keyHash: row.key_hash,
      keyId: row.key_id,
      scopes: JSON.parse(row.scopes) as string[],
      revoked: row.revoked === 1,
    };
  }
}
