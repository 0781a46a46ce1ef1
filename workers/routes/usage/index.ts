import type { App } from '../../lib/app';
import { registerGetUsage } from './get';

/** `/v1/usage`: ingestion accounting. */
export function registerUsageRoutes(app: App): void {
  registerGetUsage(app);
}
