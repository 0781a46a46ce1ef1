import { createRoute, z } from '@hono/zod-openapi';
import { tenantOfLiveTicket } from '@pulsestream/core/live-ticket';
import type { App } from '../../lib/app';
import { ApiError } from '../../lib/errors';

const route = createRoute({
  method: 'get',
  path: '/v1/live',
  tags: ['live'],
  summary: 'Live WebSocket: snapshot on connect, then coalesced events and metrics frames (≤ 4/s)',
  request: { query: z.object({ ticket: z.string().min(1).max(200) }) },
  responses: {
    101: { description: 'Switching protocols to WebSocket' },
    401: { description: 'Unknown, used or expired ticket' },
    426: { description: 'Not a WebSocket upgrade' },
  },
});

/**
 * `GET /v1/live?ticket=…`: routes the upgrade to the hub of the ticket's tenant, which checks and consumes
 * the ticket. A ticket naming another tenant reaches a hub that never issued it, and is refused there.
 */
export function registerLiveConnect(app: App): void {
  app.openapi(route, async (c) => {
    const { ticket } = c.req.valid('query');
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new ApiError('upgrade_required', 'Connect with a WebSocket upgrade (Upgrade: websocket).', {
        headers: { upgrade: 'websocket' },
      });
    }
    const tenantId = tenantOfLiveTicket(ticket);
    if (!tenantId) throw new ApiError('unauthorized', 'The live ticket is unknown, used or expired.');
    const headers = new Headers(c.req.raw.headers);
    headers.set('x-request-id', c.get('requestId'));
    const response = await c.env.TENANT_HUB.getByName(tenantId).fetch(new Request(c.req.raw, { headers }));
    return response as never;
  });
}
