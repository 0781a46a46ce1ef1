import type { ReportRow } from '@pulsestream/core/reports';
import { type Database, type Report, type ReportCursor, reportRowsPage } from '@pulsestream/db';

/** Rows per keyset page read from Postgres. */
export const REPORT_PAGE_ROWS = 10_000;

/** Keyset pages of a report's rows, oldest first; one page in memory at a time. */
export async function* reportPages(
  db: Database,
  report: Report,
  pageRows = REPORT_PAGE_ROWS,
): AsyncGenerator<ReportRow[]> {
  let after: ReportCursor | null = null;
  for (;;) {
    const page = await reportRowsPage(db, {
      tenantId: report.tenantId,
      from: report.from,
      to: report.to,
      filter: report.filter,
      after,
      limit: pageRows,
    });
    if (page.rows.length > 0) yield page.rows;
    if (!page.next) return;
    after = page.next;
  }
}
