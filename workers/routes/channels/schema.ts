import { z } from '@hono/zod-openapi';
import type { ChannelRecord } from '@pulsestream/db';
import { isStorableText, safeText } from '../../lib/alerting';

const url = z
  .string()
  .max(2048)
  .refine(isStorableText, 'must not contain control characters or unpaired surrogates')
  .openapi({ example: 'https://hooks.example.com/pulsestream' });

const email = z.email().max(254);

export const CreateChannelSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('webhook'), name: safeText(1, 200), config: z.strictObject({ url }) }),
    z.strictObject({ type: z.literal('slack'), name: safeText(1, 200), config: z.strictObject({ url }) }),
    z.strictObject({
      type: z.literal('email'),
      name: safeText(1, 200),
      config: z.strictObject({
        to: z.union([email.transform((e) => [e]), z.array(email).min(1).max(10)]),
      }),
    }),
  ])
  .openapi('CreateChannel', {
    description:
      'webhook and slack: config.url, https only; a literal private, loopback, link-local or metadata address is ' +
      'refused (development also allows http://127.0.0.1 and http://localhost). email: config.to, one address or up to 10.',
  });

export const ChannelSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(['webhook', 'slack', 'email']),
    name: z.string(),
    config: z.object({ url: z.string().optional(), to: z.array(z.string()).optional() }),
    createdAt: z.string(),
  })
  .openapi('Channel');

export const CreatedChannelSchema = ChannelSchema.extend({
  secret: z
    .string()
    .optional()
    .openapi({ description: 'webhook only: the whsec_ signing secret. Shown only in this response; store it now.' }),
}).openapi('CreatedChannel');

export const ChannelListSchema = z.object({ data: z.array(ChannelSchema) }).openapi('ChannelList');

export const ChannelTestResultSchema = z
  .object({
    deliveryId: z.uuid(),
    ok: z.boolean(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .openapi('ChannelTestResult');

export function presentChannel(c: ChannelRecord): z.infer<typeof ChannelSchema> {
  const config = (c.config ?? {}) as { url?: string; to?: string[] };
  return {
    id: c.id,
    type: c.type as 'webhook' | 'slack' | 'email',
    name: c.name,
    config: {
      ...(config.url !== undefined ? { url: config.url } : {}),
      ...(config.to !== undefined ? { to: config.to } : {}),
    },
    createdAt: c.createdAt.toISOString(),
  };
}
