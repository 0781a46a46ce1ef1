import type { App } from '../lib/app';
import { registerEventRoutes } from './events';
import { registerEventList } from './events/list';
import { registerHealth } from './health';
import { registerLive } from './live';
import { registerMetrics } from './metrics';
import { registerPipelineRoutes } from './pipeline';
import { registerUsageRoutes } from './usage';

/** Mounts every route group. Each group lives in its own folder, one file per operation. */
export function registerRoutes(app: App): void {
  registerHealth(app);
  registerLive(app);
  registerMetrics(app);
  registerEventList(app);
  registerEventRoutes(app);
  registerPipelineRoutes(app);
  registerUsageRoutes(app);
}
