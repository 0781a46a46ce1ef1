import { isApiKeyFormat, sha256Hex } from '@pulsestream/core/auth';
import { GateAdmission } from '../../services/gate-admission';
import type { AppContext } from '../app';
import { ApiError } from '../errors';
import { type ResolvedKey, resolveIngestKey } from '../ingest-keys';
import type { Admission } from './admission';
import { PIPELINE_RETRY_AFTER } from './enqueue';

export interface OpenedIngest {
  admission: Admission;
  resolved: ResolvedKey;
}

/**
 * Checks the presented API key's format, finds its tenant and plan (isolate directory, else the database),
 * records the principal for the request log, and returns the tenant's admission. The directory is not the
 * authority on revocation and scope: admission is, and every request asks it exactly once.
 */
export async function openIngest(c: AppContext, credential: string | null): Promise<OpenedIngest> {
  if (!credential) throw new ApiError('unauthorized', 'An API key with the "ingest" scope is required.');
  if (!isApiKeyFormat(credential)) throw new ApiError('unauthorized', 'This route needs an API key.');
  const services = c.get('services');
  const keyHash = await sha256Hex(credential);
  let resolved: ResolvedKey | null;
  try {
    resolved = await resolveIngestKey(services, keyHash);
  } catch (err) {
    services.logger.error('ingest: key lookup failed', { error: (err as Error).message });
    throw new ApiError('unavailable', 'The service cannot verify API keys right now.', {
      headers: { 'Retry-After': PIPELINE_RETRY_AFTER },
    });
  }
  if (!resolved) throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
  c.set('principal', {
    tenantId: resolved.key.tenantId,
    kind: 'api_key',
    id: resolved.key.keyId,
    scopes: resolved.key.scopes,
  });
  return { admission: new GateAdmission(c.env.TENANT_GATE, c.get('logger'), keyHash, resolved), resolved };
}
