import { clipText } from '../utf8';
import type { ReportFormat } from './format';

/** The longest error a `report.failed` notification carries (the bound `failReport` stores, too). */
export const MAX_REPORT_ERROR_CHARS = 1000;

/** Said when a failed report has no stored reason (it always has one; this keeps the body well-formed). */
const UNKNOWN_REPORT_ERROR = 'The report could not be generated; request it again.';

/** The `data` of a `report.failed` notification: which report, why it failed, and the run it was. */
export interface ReportFailedData {
  reportId: string;
  format: ReportFormat;
  error: string;
  scheduleId: string;
  from: string;
  to: string;
}

/** Builds a `report.failed` body from the failed report's stored fields; the error is the stored reason, bounded. */
export function reportFailedData(
  report: { id: string; format: ReportFormat; error: string | null; from: Date; to: Date },
  scheduleId: string,
): ReportFailedData {
  return {
    reportId: report.id,
    format: report.format,
    error: clipText(report.error ?? UNKNOWN_REPORT_ERROR, MAX_REPORT_ERROR_CHARS),
    scheduleId,
    from: report.from.toISOString(),
    to: report.to.toISOString(),
  };
}
