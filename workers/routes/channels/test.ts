import { createRoute } from '@hono/zod-openapi';
import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import { ensureDelivery, getChannelForDelivery, recordDeliveryAttempt } from '@pulsestream/db';
import type { App } from '../../lib/app';
import { authenticate, principalOf, requireRole } from '../../lib/auth';
import { ApiError } from '../../lib/errors';
import { attemptDelivery, deliveryDeps } from '../../lib/notify';
import { IdParamSchema, problemResponses, USER_SECURITY } from '../../lib/openapi';
import { ChannelTestResultSchema } from './schema';

export const testChannelRoute = createRoute({
  method: 'post',
  path: '/v1/channels/{id}/test',
  tags: ['alerting'],
  summary: 'Send a test notification now (member+): one attempt, answered with its outcome and recorded',
  security: USER_SECURITY,
  middleware: [authenticate({ allow: ['user'] }), requireRole('member')] as const,
  request: { params: IdParamSchema },
  responses: {
    200: {
      description: 'The attempt’s outcome (ok false when the target refused it or was refused by the SSRF guard)',
      content: { 'application/json': { schema: ChannelTestResultSchema } },
    },
    ...problemResponses(400, 401, 403, 404),
  },
});

/** `POST /v1/channels/:id/test` */
export function registerTestChannel(app: App): void {
  app.openapi(testChannelRoute, async (c) => {
    const { tenantId } = principalOf(c);
    const db = c.get('services').db();
    const channel = await getChannelForDelivery(db, tenantId, c.req.valid('param').id);
    if (!channel) throw new ApiError('not_found', 'No such channel.');
    const message: NotifyMessage = {
      type: 'notify',
      v: 1,
      tenantId,
      channelId: channel.id,
      deliveryId: crypto.randomUUID(),
      event: 'test',
      data: { channelId: channel.id, channelName: channel.name },
    };
    await ensureDelivery(db, {
      id: message.deliveryId,
      tenantId,
      channelId: channel.id,
      alertId: null,
      reportId: null,
      event: 'test',
    });
    const outcome = await attemptDelivery(channel, message, deliveryDeps(c.get('services').config));
    const ok = outcome.kind === 'success';
    await recordDeliveryAttempt(db, {
      deliveryId: message.deliveryId,
      statusCode: outcome.status,
      ok,
      error: ok ? null : outcome.error,
      durationMs: outcome.durationMs,
      status: ok ? 'succeeded' : 'failed',
    });
    return c.json(
      {
        deliveryId: message.deliveryId,
        ok,
        statusCode: outcome.status,
        error: outcome.kind === 'success' ? null : outcome.error,
        durationMs: Math.round(outcome.durationMs),
      },
      200,
    );
  });
}
