import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerLogin } from './login';
import { registerLogout } from './logout';
import { registerRefresh } from './refresh';
import { registerSignup } from './signup';

/** Public session routes: signup, login, refresh, logout. They take no access token. */
export function registerAuth(app: App): void {
  const router = newRouter();
  registerSignup(router);
  registerLogin(router);
  registerRefresh(router);
  registerLogout(router);
  app.route('/', router);
}
