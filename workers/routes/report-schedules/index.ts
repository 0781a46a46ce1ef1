import type { App } from '../../lib/app';
import { newRouter } from '../../lib/app';
import { registerCreateReportSchedule } from './create';
import { registerDeleteReportSchedule } from './delete';
import { registerGetReportSchedule } from './get';
import { registerListReportSchedules } from './list';
import { registerUpdateReportSchedule } from './update';

/** `/v1/report-schedules`: recurring reports. */
export function registerReportSchedules(app: App): void {
  const router = newRouter();
  registerListReportSchedules(router);
  registerCreateReportSchedule(router);
  registerGetReportSchedule(router);
  registerUpdateReportSchedule(router);
  registerDeleteReportSchedule(router);
  app.route('/', router);
}
