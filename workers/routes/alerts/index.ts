import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerAckAlert } from './ack';
import { registerGetAlert } from './get';
import { registerListAlerts } from './list';

/** `/v1/alerts`: incident history (read) and acknowledgement (member+). */
export function registerAlerts(app: App): void {
  const router = newRouter();
  registerListAlerts(router);
  registerGetAlert(router);
  registerAckAlert(router);
  app.route('/', router);
}
