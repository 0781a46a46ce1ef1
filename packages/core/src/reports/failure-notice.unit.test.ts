import { describe, expect, it } from 'vitest';
import { findUnstorable } from '../storable';
import { MAX_REPORT_ERROR_CHARS, reportFailedData } from './failure-notice';

const report = {
  id: 'r1',
  format: 'csv' as const,
  error: 'The range holds more than 39 events',
  from: new Date('2026-11-29T10:00:00.000Z'),
  to: new Date('2026-11-30T10:00:00.000Z'),
};

describe('report.failed data', () => {
  it('carries the report, its stored error, the schedule and the range as ISO strings', () => {
    expect(reportFailedData(report, 's1')).toEqual({
      reportId: 'r1',
      format: 'csv',
      error: 'The range holds more than 39 events',
      scheduleId: 's1',
      from: '2026-11-29T10:00:00.000Z',
      to: '2026-11-30T10:00:00.000Z',
    });
  });

  it('bounds the error, and says something when none was stored', () => {
    const long = reportFailedData({ ...report, error: 'x'.repeat(5000) }, 's1');
    expect(long.error).toHaveLength(MAX_REPORT_ERROR_CHARS);
    expect(long.error.endsWith('…')).toBe(true);
    expect(reportFailedData({ ...report, error: null }, 's1').error).toMatch(/could not be generated/);
  });

  it('never cuts a surrogate pair in two', () => {
    const error = `${'x'.repeat(MAX_REPORT_ERROR_CHARS - 2)}🚀🚀🚀`;
    const data = reportFailedData({ ...report, error }, 's1');
    expect(data.error.length).toBeLessThanOrEqual(MAX_REPORT_ERROR_CHARS);
    expect(findUnstorable(data)).toBeNull();
  });
});
