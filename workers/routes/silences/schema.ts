import { z } from '@hono/zod-openapi';
import { SEVERITIES } from '@pulsestream/core/alerting/rule';
import type { SilenceRecord } from '@pulsestream/db';
import { instantSchema, safeText } from '../../lib/alerting';

/** Longest silence: a year; a longer one is almost certainly a mistake better expressed by disabling the rule. */
export const MAX_SILENCE_MS = 366 * 24 * 3_600_000;

export const CreateSilenceSchema = z
  .strictObject({
    matchers: z
      .strictObject({
        ruleId: z.uuid().optional(),
        source: safeText(1, 128).optional(),
        severity: z.enum(SEVERITIES).optional(),
      })
      .refine((m) => m.ruleId !== undefined || m.source !== undefined || m.severity !== undefined, {
        message: 'at least one matcher (ruleId, source or severity) is required',
      }),
    startsAt: instantSchema,
    endsAt: instantSchema,
    comment: safeText(1, 1000),
  })
  .superRefine((s, ctx) => {
    if (s.endsAt <= s.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    else if (s.endsAt.getTime() - s.startsAt.getTime() > MAX_SILENCE_MS) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'a silence lasts at most 366 days' });
    }
  })
  .openapi('CreateSilence');

export const SilenceSchema = z
  .object({
    id: z.uuid(),
    matchers: z.object({ ruleId: z.uuid().optional(), source: z.string().optional(), severity: z.string().optional() }),
    startsAt: z.string(),
    endsAt: z.string(),
    comment: z.string(),
    createdBy: z.uuid().nullable(),
    createdAt: z.string(),
    active: z.boolean(),
  })
  .openapi('Silence');

export const SilenceListSchema = z.object({ data: z.array(SilenceSchema) }).openapi('SilenceList');

export function presentSilence(s: SilenceRecord, now = Date.now()): z.infer<typeof SilenceSchema> {
  return {
    id: s.id,
    matchers: {
      ...(s.ruleId !== null ? { ruleId: s.ruleId } : {}),
      ...(s.source !== null ? { source: s.source } : {}),
      ...(s.severity !== null ? { severity: s.severity } : {}),
    },
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    comment: s.comment,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    active: s.startsAt.getTime() <= now && now < s.endsAt.getTime(),
  };
}
