import { ApiError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { GateKey } from '../../objects/tenant-gate/types';

/**
 * Tells the tenant's gate about a key before the request answers, so ingestion admits a new key and refuses a
 * revoked one from the very next request. A gate that cannot be reached fails the request (503): the caller
 * retries, and both create-compensation and revoke are idempotent.
 */
export async function syncGate(env: Env, logger: Logger, tenantId: string, key: GateKey): Promise<void> {
  try {
    await env.TENANT_GATE.getByName(tenantId).putKey(key);
  } catch (err) {
    logger.error('api-keys: gate sync failed', {
      tenant: tenantId,
      key: key.keyId,
      error: err instanceof Error ? err.message : String(err),
    });
    throw new ApiError('unavailable', 'The key store could not be updated; retry the request.');
  }
}
