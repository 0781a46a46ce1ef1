import { uuidv7 } from '@pulsestream/core/uuidv7';
import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';

/** Append-only security log per tenant: signups, logins, user and key changes. */
export const auditLog = pgTable(
  'audit_log',
  {
    // UUIDv7: time-ordered for keyset pages, and random, so ids reveal nothing of other tenants' activity
    // (a deployment-wide sequence would count every tenant's logins).
    id: uuid('id')
      .primaryKey()
      .$defaultFn(() => uuidv7()),
    tenantId: uuid('tenant_id').notNull(),
    actorType: text('actor_type', { enum: ['user', 'api_key', 'system', 'anonymous'] }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    metadata: jsonb('metadata'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_tenant_idx').on(t.tenantId, t.createdAt)],
);
