import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateUser } from './create';
import { registerDeleteUser } from './delete';
import { registerListUsers } from './list';
import { registerUpdateUser } from './update';

/** `/v1/users`: tenant members (admin+). */
export function registerUsers(app: App): void {
  const router = newRouter();
  registerListUsers(router);
  registerCreateUser(router);
  registerUpdateUser(router);
  registerDeleteUser(router);
  app.route('/', router);
}
