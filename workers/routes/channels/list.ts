import { createRoute } from '@hono/zod-openapi';
import { listChannels } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { problemResponses, USER_SECURITY } from '../../lib/openapi';
import { ChannelListSchema, presentChannel } from './schema';

export const listChannelsRoute = createRoute({
  method: 'get',
  path: '/v1/channels',
  tags: ['alerting'],
  summary: 'The tenant’s notification channels (never their secrets)',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] })] as const,
  responses: {
    200: { description: 'Channels', content: { 'application/json': { schema: ChannelListSchema } } },
    ...problemResponses(401, 403),
  },
});

/** `GET /v1/channels` */
export function registerListChannels(app: App): void {
  app.openapi(listChannelsRoute, async (c) => {
    const rows = await listChannels(c.get('services').db(), principalOf(c).tenantId);
    return c.json({ data: rows.map(presentChannel) }, 200);
  });
}
