/**
 * The reports queue's message: generate one report. Versioned wire type, apart from the `reports` row type,
 * so a schema change never silently changes a message already on the queue. Everything else the job needs
 * (range, format, filter) is read from the row, which is the single source of truth for a retry.
 */
export interface ReportJobMessageV1 {
  type: 'report.generate';
  v: 1;
  tenantId: string;
  reportId: string;
}

export type ReportJobMessage = ReportJobMessageV1;

/** Narrows an unknown queue body to a report job. */
export function isReportJobMessage(body: unknown): body is ReportJobMessage {
  if (typeof body !== 'object' || body === null) return false;
  const m = body as Record<string, unknown>;
  return m.type === 'report.generate' && m.v === 1 && typeof m.tenantId === 'string' && typeof m.reportId === 'string';
}
