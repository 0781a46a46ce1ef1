import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateChannel } from './create';
import { registerDeleteChannel } from './delete';
import { registerListChannels } from './list';
import { registerTestChannel } from './test';

/** `/v1/channels` (reads: any user; writes and tests: member+). */
export function registerChannels(app: App): void {
  const router = newRouter();
  registerListChannels(router);
  registerCreateChannel(router);
  registerDeleteChannel(router);
  registerTestChannel(router);
  app.route('/', router);
}
