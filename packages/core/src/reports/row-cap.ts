/**
 * The largest report: 10,000,000 rows. A row costs up to ~20 µs of CPU to page and encode (BENCHMARKS.md,
 * "Reports"), so the cap keeps a report inside one invocation's 5-minute CPU limit with room to spare; a range
 * that holds more is refused with a reason the client can act on instead of being retried into the limit.
 */
export const MAX_REPORT_ROWS = 10_000_000;

/** A report's range and filter hold more rows than one report may. */
export class ReportTooLargeError extends Error {
  constructor(readonly maxRows: number) {
    super(
      `The range holds more than ${maxRows.toLocaleString('en-US')} events, the most one report can hold: ` +
        'request a shorter range or add a filter.',
    );
    this.name = 'ReportTooLargeError';
  }
}

/**
 * Passes pages through until they would take the report past `maxRows`, then throws {@link ReportTooLargeError}
 * before yielding the page that crosses it, so no partial report is ever finished.
 */
export async function* capReportRows<T>(pages: AsyncIterable<T[]>, maxRows = MAX_REPORT_ROWS): AsyncGenerator<T[]> {
  let rows = 0;
  for await (const page of pages) {
    rows += page.length;
    if (rows > maxRows) throw new ReportTooLargeError(maxRows);
    yield page;
  }
}
