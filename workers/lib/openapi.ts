import { z } from '@hono/zod-openapi';
import type { App } from './app';

/** The OpenAPI document's top-level fields, shared by `/openapi.json` and the `/docs` page. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'PulseStream API',
    version: '1.0.0',
    description: 'Edge-native API monitoring and event analytics.',
  },
} as const;

/** `application/problem+json` body of every error. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://pulsestream.dev/errors/not-found' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const DESCRIPTIONS = {
  400: 'Malformed JSON or invalid input',
  401: 'Missing, invalid or expired credential',
  403: 'Authenticated, but the role or scope is too low',
  404: 'No such resource in the caller’s tenant',
  409: 'Conflicts with an existing resource',
  429: 'Too many attempts; see Retry-After',
  503: 'A dependency is unavailable',
} as const;

/** Problem responses for the given statuses, for a route's `responses`. */
export function problemResponses<S extends keyof typeof DESCRIPTIONS>(
  ...statuses: S[]
): Record<S, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }> {
  const out = {} as Record<
    S,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  >;
  for (const status of statuses) {
    out[status] = {
      description: DESCRIPTIONS[status],
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}

/** `security` for routes taking a user access token. */
export const USER_SECURITY = [{ bearerAuth: [] }];
/** `security` for routes taking a user access token or an API key. */
export const USER_OR_KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

/** A UUID path parameter; anything else is a 400 problem before the handler runs (never a 500 from SQL). */
export const IdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0196b1a2-7c3e-7000-8000-000000000000' }),
});

/** Declares the credential schemes the routes refer to in `security`. */
export function registerSecuritySchemes(app: App): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT or ps_live_ API key',
    description: 'A user access token (JWT, 15 min) or an API key (`ps_live_…`).',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key (`ps_live_…`).',
  });
}
