import { DEFAULT_DOWNLOAD_TTL_SECONDS, signDownload } from '@pulsestream/core/reports';
import type { Config } from './config';
import { ApiError } from './errors';

/**
 * The secret download URLs are signed with. It is the deployment's JWT secret: `signDownload` derives a key
 * for this purpose alone from it, so no second secret has to be provisioned and rotated.
 */
export function reportSigningSecret(config: Config): string {
  if (!config.JWT_SECRET) throw new ApiError('unavailable', 'Report downloads are not configured.');
  return config.JWT_SECRET;
}

/**
 * A signed download URL for a ready report: `<base>/v1/reports/<id>/download?exp=<epoch s>&sig=<HMAC>`.
 * The URL is the credential, so whoever holds it can download the file until `expiresAt`.
 */
export async function reportDownloadLink(
  config: Config,
  baseUrl: string,
  report: { id: string; tenantId: string },
  ttlSeconds = DEFAULT_DOWNLOAD_TTL_SECONDS,
  nowMs = Date.now(),
): Promise<{ downloadUrl: string; expiresAt: Date }> {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const sig = await signDownload(
    { reportId: report.id, tenantId: report.tenantId, expiresAt },
    reportSigningSecret(config),
  );
  const url = new URL(`/v1/reports/${report.id}/download`, baseUrl);
  url.searchParams.set('exp', String(expiresAt));
  url.searchParams.set('sig', sig);
  return { downloadUrl: url.toString(), expiresAt: new Date(expiresAt * 1000) };
}
