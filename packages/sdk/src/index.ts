export {
  PulseStream,
  PulseStreamError,
  type PulseStreamEvent,
  type PulseStreamOptions,
  type PulseStreamStats,
  retryAfterMs,
} from './client.js';
export { type InstrumentFetchOptions, instrumentFetch } from './instrument-fetch.js';
export { endpointName, isIdSegment, KNOWN_SOURCES, type SourceMap, sourceForHost, templatePath } from './naming.js';
