import type { App } from '../lib/app';
import { registerSecuritySchemes } from '../lib/openapi';
import { registerAlertRules } from './alert-rules';
import { registerAlerts } from './alerts';
import { registerApiKeys } from './api-keys';
import { registerAuditLog } from './audit-log';
import { registerAuth } from './auth';
import { registerChannels } from './channels';
import { registerDocs } from './docs';
import { registerEventRoutes } from './events';
import { registerEventList } from './events/list';
import { registerHealth } from './health';
import { registerLive } from './live';
import { registerMe } from './me';
import { registerMetrics } from './metrics';
import { registerOtlp } from './otlp';
import { registerPipelineRoutes } from './pipeline';
import { registerReportSchedules } from './report-schedules';
import { registerReports } from './reports';
import { registerSegment } from './segment';
import { registerSilences } from './silences';
import { registerUsageRoutes } from './usage';
import { registerUsers } from './users';

/** Mounts every route group. Each group lives in its own folder, one file per operation. */
export function registerRoutes(app: App): void {
  registerSecuritySchemes(app);
  registerHealth(app);
  registerAuth(app);
  registerMe(app);
  registerUsers(app);
  registerApiKeys(app);
  registerAuditLog(app);
  registerDocs(app);
  registerLive(app);
  registerMetrics(app);
  registerEventList(app);
  registerEventRoutes(app);
  registerPipelineRoutes(app);
  registerUsageRoutes(app);
  registerReports(app);
  registerReportSchedules(app);
  registerAlertRules(app);
  registerAlerts(app);
  registerSilences(app);
  registerChannels(app);
  registerSegment(app);
  registerOtlp(app);
}
