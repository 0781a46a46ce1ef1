import type { App } from '../lib/app';
import { registerHealth } from './health';
import { registerLive } from './live';

/** Mounts every route group. Each group lives in its own folder, one file per operation. */
export function registerRoutes(app: App): void {
  registerHealth(app);
  registerLive(app);
}
