import { z } from '@hono/zod-openapi';
import { MIN_PASSWORD_LENGTH } from '@pulsestream/core/auth';

// A bound on password length keeps a megabyte "password" from being fed to PBKDF2.
const MAX_PASSWORD_LENGTH = 1024;

/** Emails are compared lower-cased and trimmed: one mailbox is one login. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .check(z.email())
  .max(254)
  .openapi({ example: 'ada@example.com' });

export const NewPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH)
  .openapi({ example: 'correct horse battery staple' });

export const SignupRequestSchema = z
  .object({
    tenantName: z.string().trim().min(1).max(100).openapi({ example: 'Acme Inc' }),
    email: EmailSchema,
    password: NewPasswordSchema,
  })
  .openapi('SignupRequest');

export const LoginRequestSchema = z
  .object({
    // Not format-checked: an unknown or odd address must get the same 401 as a wrong password.
    email: z.string().trim().toLowerCase().min(1).max(254).openapi({ example: 'ada@example.com' }),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    tenant: z.string().trim().min(1).max(100).optional().openapi({
      description:
        'Tenant slug (or id). Needed only when the email belongs to several tenants; without it the oldest membership is used.',
      example: 'acme-inc',
    }),
  })
  .openapi('LoginRequest');

export const RefreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(256) }).openapi('RefreshRequest');

export const TokenPairSchema = z
  .object({
    accessToken: z.string().openapi({ description: 'JWT access token, sent as `Authorization: Bearer …`' }),
    refreshToken: z.string().openapi({ description: 'Opaque, single-use; exchange at /v1/auth/refresh' }),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires', example: 900 }),
    tokenType: z.literal('Bearer'),
  })
  .openapi('TokenPair');

export const TenantSchema = z
  .object({ id: z.uuid(), name: z.string(), slug: z.string(), plan: z.string(), createdAt: z.string() })
  .openapi('Tenant');

export const RoleSchema = z.enum(['owner', 'admin', 'member', 'viewer']).openapi('Role');

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: RoleSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('User');

export const SignupResponseSchema = z
  .object({ tenant: TenantSchema, user: UserSchema })
  .extend(TokenPairSchema.shape)
  .openapi('SignupResponse');

/** Response shape of a tenant row. */
export function presentTenant(t: { id: string; name: string; slug: string; plan: string; createdAt: Date }) {
  return { id: t.id, name: t.name, slug: t.slug, plan: t.plan, createdAt: t.createdAt.toISOString() };
}

/** Response shape of a user row: never the password hash. */
export function presentUser(u: {
  id: string;
  email: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}
