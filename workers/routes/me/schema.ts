import { z } from '@hono/zod-openapi';
import { TenantSchema, UserSchema } from '../auth/schema';

export const MeResponseSchema = z.object({ user: UserSchema, tenant: TenantSchema }).openapi('Me');
