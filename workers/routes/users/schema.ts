import { z } from '@hono/zod-openapi';
import { EmailSchema, NewPasswordSchema, RoleSchema, UserSchema } from '../auth/schema';

export const UserListSchema = z.object({ data: z.array(UserSchema) }).openapi('UserList');

export const CreateUserRequestSchema = z
  .object({ email: EmailSchema, password: NewPasswordSchema, role: RoleSchema })
  .openapi('CreateUserRequest');

export const UpdateUserRequestSchema = z
  .object({ email: EmailSchema.optional(), password: NewPasswordSchema.optional(), role: RoleSchema.optional() })
  .refine((v) => v.email !== undefined || v.password !== undefined || v.role !== undefined, {
    message: 'Give at least one of email, password, role.',
  })
  .openapi('UpdateUserRequest');
