import { z } from 'zod';

const configSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  JWT_ISSUER: z.string().min(1),
  JWT_AUDIENCE: z.string().min(1),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters (256 bits)').optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
    .optional(),
  DB_WS_PROXY: z.string().optional(),
  QUEUE_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(5),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  /** Public origin of the API, for links made outside a request (report.ready notifications). */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** Email channel: an HTTP JSON API (POST {from, to, subject, text} with a Bearer key). Unset: email fails. */
  EMAIL_API_URL: z
    .string()
    .url()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  EMAIL_API_KEY: z.string().optional(),
  EMAIL_FROM: z.string().optional(),
  /** DNS-over-HTTPS JSON endpoint that webhook and Slack hostnames are resolved with before delivery. */
  DNS_RESOLVER_URL: z.string().url().default('https://cloudflare-dns.com/dns-query'),
  /** Base URL of links in notifications (defaults to JWT_ISSUER). */
  APP_URL: z.string().url().optional(),
});

export type Config = z.infer<typeof configSchema>;

const cache = new WeakMap<object, Config>();

/**
 * Parses vars and secrets once per `env` object. A misconfiguration is a deploy-time bug, so it throws
 * with every problem listed; the error handler turns that into an opaque 500 for the client.
 */
export function parseConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const config = { ...parsed.data, DB_WS_PROXY: parsed.data.DB_WS_PROXY || undefined };
  cache.set(env, config);
  return config;
}
