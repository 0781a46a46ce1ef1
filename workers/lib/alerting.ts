import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppContext, AppEnv } from './app';
import { ApiError } from './errors';

/** Request bodies of the alerting routes are small; anything larger is refused before it is read in full. */
export const ALERTING_BODY_LIMIT = 32 * 1024;

export const alertingBodyLimit: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: ALERTING_BODY_LIMIT,
  onError: () => {
    throw new ApiError('payload_too_large', `The request body exceeds ${ALERTING_BODY_LIMIT} bytes.`);
  },
});

/** True when the string has no control characters and no unpaired UTF-16 surrogates (Postgres refuses NUL). */
export function isStorableText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** A trimmed, storable, length-bounded string. */
export function safeText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine(isStorableText, 'must not contain control characters or unpaired surrogates');
}

/** An ISO 8601 instant with a timezone, between years 1 and 9999 (what timestamptz stores). */
export const instantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a timezone, e.g. 2026-11-01T12:00:00Z' })
  .transform((value, ctx) => {
    const date = new Date(value);
    const year = date.getUTCFullYear();
    if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
      ctx.addIssue({ code: 'custom', message: 'must be between years 1 and 9999' });
      return z.NEVER;
    }
    return date;
  })
  .openapi({ type: 'string', example: '2026-11-01T12:00:00Z' });

/**
 * Tells the tenant's hub that its rules or silences changed, so it reloads them now. A failure only delays the
 * change: the hub also reloads on its own every minute while it has rules.
 */
export async function notifyHubOfAlertingChange(c: AppContext, tenantId: string): Promise<void> {
  try {
    await c.env.TENANT_HUB.getByName(tenantId).reloadAlerting(tenantId);
  } catch (err) {
    c.get('logger').warn('alerting: hub reload failed; it will reload on its own', {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
