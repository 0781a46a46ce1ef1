import { z } from '@hono/zod-openapi';

export const liveTicketSchema = z
  .object({
    ticket: z.string().openapi({ description: 'Single-use; pass as `?ticket=` to `GET /v1/live` within expiresIn.' }),
    expiresIn: z.number().int().openapi({ description: 'seconds', example: 60 }),
  })
  .openapi('LiveTicket');
