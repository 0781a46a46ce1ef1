import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateReport } from './create';
import { registerDownloadReport } from './download';
import { registerGetReport } from './get';
import { registerListReports } from './list';

/** `/v1/reports`: on-demand reports and their signed downloads. */
export function registerReports(app: App): void {
  const router = newRouter();
  registerListReports(router);
  registerCreateReport(router);
  registerGetReport(router);
  registerDownloadReport(router);
  app.route('/', router);
}
