import type { App } from '../../lib/app';
import { registerOtlpTraces } from './traces';

/** `/v1/otlp/*`: OTLP/HTTP, so `OTEL_EXPORTER_OTLP_ENDPOINT=<base>/v1/otlp` works. */
export function registerOtlp(app: App): void {
  registerOtlpTraces(app);
}
