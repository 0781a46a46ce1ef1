import { createRoute } from '@hono/zod-openapi';
import { generateWebhookSecret } from '@pulsestream/core/notifications/signing';
import { checkTargetUrl } from '@pulsestream/core/notifications/ssrf';
import { createChannel } from '@pulsestream/db';
import { alertingBodyLimit } from '../../lib/alerting';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { targetPolicy } from '../../lib/notify';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { CreateChannelSchema, CreatedChannelSchema, presentChannel } from './schema';

export const createChannelRoute = createRoute({
  method: 'post',
  path: '/v1/channels',
  tags: ['alerting'],
  summary: 'Create a notification channel (member+); a webhook’s signing secret is in this response only',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member'), alertingBodyLimit] as const,
  request: { body: { required: true, content: { 'application/json': { schema: CreateChannelSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: CreatedChannelSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

/** `POST /v1/channels` */
export function registerCreateChannel(app: App): void {
  app.openapi(createChannelRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid('json');
    let config: Record<string, unknown>;
    if (body.type === 'email') {
      config = { to: body.config.to };
    } else {
      // The SSRF guard, first pass: no literal private/loopback/link-local/metadata address, https only.
      // Hostnames are checked again at each delivery, after resolution.
      const checked = checkTargetUrl(body.config.url, targetPolicy(c.get('services').config.ENVIRONMENT));
      if (!checked.ok) {
        throw new ApiError('validation_failed', 'The request body is invalid.', {
          errors: [{ path: 'config.url', message: checked.reason }],
        });
      }
      config = { url: checked.url.toString() };
    }
    const secret = body.type === 'webhook' ? generateWebhookSecret() : null;
    const channel = await createChannel(c.get('services').db(), {
      tenantId: principal.tenantId,
      type: body.type,
      name: body.name,
      config,
      signingSecret: secret,
      createdBy: principal.id,
    });
    return c.json({ ...presentChannel(channel), ...(secret ? { secret } : {}) }, 201);
  });
}
