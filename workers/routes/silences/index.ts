import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateSilence } from './create';
import { registerDeleteSilence } from './delete';
import { registerListSilences } from './list';

/** `/v1/silences` (reads: any user; writes: member+). */
export function registerSilences(app: App): void {
  const router = newRouter();
  registerListSilences(router);
  registerCreateSilence(router);
  registerDeleteSilence(router);
  app.route('/', router);
}
