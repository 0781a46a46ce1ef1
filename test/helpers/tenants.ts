import { env } from 'cloudflare:test';
import { generateApiKey, type Role, sha256Hex } from '@pulsestream/core/auth';
import { schema } from '@pulsestream/db';
import { jwtService } from '../../workers/lib/auth';
import { parseConfig } from '../../workers/lib/config';
import { withDb } from './db';

/** A tenant created directly in the database, with a user and an access token for it. */
export interface TestTenant {
  tenantId: string;
  userId: string;
  role: Role;
  /** `Authorization` header value for the user */
  bearer: string;
}

/**
 * Creates a tenant and one user by inserting rows (independent of the signup routes), and mints an access
 * token with the deployment's own JWT service, so requests authenticate exactly as in production.
 */
export async function createTestTenant(options: { name?: string; role?: Role } = {}): Promise<TestTenant> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const role = options.role ?? 'owner';
  return withDb(async (db) => {
    const [tenant] = await db
      .insert(schema.tenants)
      .values({ name: options.name ?? `Test ${suffix}`, slug: `test-${suffix}` })
      .returning({ id: schema.tenants.id });
    if (!tenant) throw new Error('tenant insert returned nothing');
    const userId = await insertUser(db, tenant.id, role);
    return { tenantId: tenant.id, userId, role, bearer: await bearerFor(tenant.id, userId, role) };
  });
}

/** Adds a user with `role` to a tenant; returns its id and a bearer header value. */
export async function createTestUser(tenantId: string, role: Role): Promise<{ userId: string; bearer: string }> {
  const userId = await withDb((db) => insertUser(db, tenantId, role));
  return { userId, bearer: await bearerFor(tenantId, userId, role) };
}

/** Creates an API key with `scopes`; returns the plaintext key (as a client would hold it) and its id. */
export async function createTestApiKey(
  tenantId: string,
  scopes: ('ingest' | 'read')[],
  options: { revoked?: boolean } = {},
): Promise<{ id: string; key: string }> {
  const { key, prefix } = generateApiKey();
  const keyHash = await sha256Hex(key);
  return withDb(async (db) => {
    const [row] = await db
      .insert(schema.apiKeys)
      .values({
        tenantId,
        name: `key ${prefix}`,
        prefix,
        keyHash,
        scopes,
        revokedAt: options.revoked ? new Date() : null,
      })
      .returning({ id: schema.apiKeys.id });
    if (!row) throw new Error('api key insert returned nothing');
    return { id: row.id, key };
  });
}

type Db = Parameters<Parameters<typeof withDb>[0]>[0];

async function insertUser(db: Db, tenantId: string, role: Role): Promise<string> {
  const [user] = await db
    .insert(schema.users)
    .values({
      tenantId,
      email: `${role}-${crypto.randomUUID().slice(0, 8)}@example.test`,
      // Not a valid hash on purpose: these users never log in with a password.
      passwordHash: 'test-only-no-password',
      role,
    })
    .returning({ id: schema.users.id });
  if (!user) throw new Error('user insert returned nothing');
  return user.id;
}

async function bearerFor(tenantId: string, userId: string, role: Role): Promise<string> {
  const signed = await jwtService(parseConfig(env)).sign({ sub: userId, tid: tenantId, role });
  return `Bearer ${signed.token}`;
}
