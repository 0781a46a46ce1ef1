import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerGetMe } from './get';

/** `/v1/me`: who the caller is. */
export function registerMe(app: App): void {
  const router = newRouter();
  registerGetMe(router);
  app.route('/', router);
}
