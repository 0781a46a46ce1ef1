import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../lib/app';
import { authenticate, principalOf } from '../../lib/auth';
import { liveTicketSchema } from './schema';

const route = createRoute({
  method: 'post',
  path: '/v1/live/ticket',
  tags: ['live'],
  summary: 'Issue a single-use, 60 s ticket for the live WebSocket (user token only)',
  security: [{ bearer: [] }],
  middleware: [authenticate({ allow: ['user'] })] as const,
  responses: {
    201: { description: 'Ticket issued', content: { 'application/json': { schema: liveTicketSchema } } },
  },
});

/** `POST /v1/live/ticket`: the ticket is stored (hashed) in the tenant's hub, bound to tenant and user. */
export function registerLiveTicket(app: App): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const hub = c.env.TENANT_HUB.getByName(principal.tenantId);
    const ticket = await hub.issueTicket(principal.tenantId, principal.id);
    c.header('cache-control', 'no-store');
    return c.json({ ticket: ticket.ticket, expiresIn: ticket.expiresIn }, 201);
  });
}
