import { env } from 'cloudflare:test';
import type { TenantHub } from '../../workers/objects/tenant-hub';
import { createIngestTenant } from './ingest';
import { createTestUser } from './tenants';

/** A tenant with an ingest key, an owner's bearer token (without the scheme) and its hub. */
export interface AlertingTenant {
  tenantId: string;
  key: string;
  bearer: string;
  hub: DurableObjectStub<TenantHub>;
}

export async function createAlertingTenant(): Promise<AlertingTenant> {
  const t = await createIngestTenant();
  const { bearer } = await createTestUser(t.tenantId, 'owner');
  return {
    tenantId: t.tenantId,
    key: t.key,
    bearer: bearer.replace(/^Bearer /, ''),
    hub: env.TENANT_HUB.getByName(t.tenantId),
  };
}
