/**
 * Sizes of the values a client can drive into Durable Object storage, against the platform's 2 MB per value
 * (which the local runtime does not enforce): one minute of the hub's live windows (200 sources whose latencies
 * span the accepted range) as one value and as stored parts, and the listed errors of a 1 MiB ingest body of
 * tiny unknown keys (what an `Idempotency-Key` stores), and the saved state of one anomaly rule's detector at
 * its bound. RELIABILITY.md, "Size limits the local runtime does not enforce"; docs/anomaly.md.
 *
 *   tsx scripts/bench/stored-sizes.ts
 */
import { ANOMALY_DETECTOR_OPTIONS } from '@pulsestream/core/alerting/anomaly-rule';
import { StreamingDetector } from '@pulsestream/core/anomaly/detector';
import { MAX_EVENTS_PER_REQUEST, MAX_LATENCY_MS, validateEvents } from '@pulsestream/core/event-schema';
import { RollingWindows } from '@pulsestream/core/rolling-windows';
import { splitMinute } from '@pulsestream/core/rolling-windows-parts';
import { utf8Length } from '@pulsestream/core/utf8';

const MB = 1024 * 1024;
const now = Date.now();
const windows = new RollingWindows();
for (let s = 0; s < 200; s++) {
  for (let i = 0; i < 2_500; i++) {
    const latencyMs = Math.min(MAX_LATENCY_MS, Math.exp((i / 2_500) * 36 - 21) * (1 + s / 997));
    windows.add({ timestamp: now, source: `service-${s}`, status: 200 + (i % 400), latencyMs }, now);
  }
}
const [minute] = windows.toJSON().minutes;
if (!minute) throw new Error('no minute');
const parts = splitMinute(minute).map(utf8Length);
console.log(`one minute of 200 sources: ${(utf8Length(JSON.stringify(minute)) / MB).toFixed(2)} MB as one value;`);
console.log(`  stored as ${parts.length} parts, the largest ${(Math.max(...parts) / MB).toFixed(2)} MB`);

const event = `{${Array.from({ length: 150 }, (_, k) => `"${k.toString(36)}":0`).join(',')}}`;
const body = `[${Array.from({ length: MAX_EVENTS_PER_REQUEST }, () => event).join(',')}]`;
const { rejected } = validateEvents(JSON.parse(body) as unknown[], { now, retentionDays: 30, generateId: () => 'x' });
const listed = rejected.reduce((n, r) => n + r.errors.length, 0);
console.log(`a ${(utf8Length(body) / MB).toFixed(2)} MB body of 1,000 events × 150 unknown keys:`);
console.log(
  `  ${listed.toLocaleString('en-US')} problems listed, ${(utf8Length(JSON.stringify(rejected)) / MB).toFixed(2)} MB`,
);
console.log(`  (unbounded: ${(150 * MAX_EVENTS_PER_REQUEST).toLocaleString('en-US')} problems)`);

// Full-precision values fill every bounded ring (history, windows, calibrations) with the longest numbers.
for (const coarseBlock of [0, 8]) {
  const detector = new StreamingDetector({ ...ANOMALY_DETECTOR_OPTIONS, coarseBlock });
  for (let i = 0; i < 20_000; i++) detector.step(now + i * 60_000, (1 + Math.sin(i * 0.37)) * 123_456.789_012_345);
  const size = utf8Length(JSON.stringify(detector.toJSON()));
  console.log(
    `one anomaly rule's detector state, ${coarseBlock ? 'two scales' : 'one scale'}: ${(size / 1000).toFixed(0)} kB`,
  );
}
