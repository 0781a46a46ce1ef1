import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateApiKey } from './create';
import { registerDeleteApiKey } from './delete';
import { registerListApiKeys } from './list';

/** `/v1/api-keys` (admin+). */
export function registerApiKeys(app: App): void {
  const router = newRouter();
  registerListApiKeys(router);
  registerCreateApiKey(router);
  registerDeleteApiKey(router);
  app.route('/', router);
}
