import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateAlertRule } from './create';
import { registerDeleteAlertRule } from './delete';
import { registerGetAlertRule } from './get';
import { registerListAlertRules } from './list';
import { registerUpdateAlertRule } from './update';

/** `/v1/alert-rules` (reads: any user; writes: member+). */
export function registerAlertRules(app: App): void {
  const router = newRouter();
  registerListAlertRules(router);
  registerCreateAlertRule(router);
  registerGetAlertRule(router);
  registerUpdateAlertRule(router);
  registerDeleteAlertRule(router);
  app.route('/', router);
}
