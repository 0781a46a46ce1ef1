import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerListAudit } from './list';

/** `/v1/audit-log` (admin+). */
export function registerAuditLog(app: App): void {
  const router = newRouter();
  registerListAudit(router);
  app.route('/', router);
}
