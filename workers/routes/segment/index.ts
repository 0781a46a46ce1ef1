import type { App } from '../../lib/app';
import { registerSegmentIngest } from './ingest';

/** `/v1/segment/v1/*`: the Segment HTTP tracking API, for Segment's libraries unchanged. */
export function registerSegment(app: App): void {
  registerSegmentIngest(app);
}
