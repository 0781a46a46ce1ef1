import { describe, expect, it } from 'vitest';
import { capReportRows, MAX_REPORT_ROWS, ReportTooLargeError } from './row-cap';

async function* pagesOf(...sizes: number[]): AsyncGenerator<number[]> {
  let next = 0;
  for (const size of sizes) yield Array.from({ length: size }, () => next++);
}

async function collect(pages: AsyncIterable<number[]>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('capReportRows', () => {
  it('passes every page of a report at or under the cap', async () => {
    const pages = await collect(capReportRows(pagesOf(3, 3, 4), 10));
    expect(pages.map((p) => p.length)).toEqual([3, 3, 4]);
    expect(pages.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('throws before yielding the page that crosses the cap', async () => {
    const seen: number[][] = [];
    const run = async () => {
      for await (const page of capReportRows(pagesOf(3, 3, 5), 10)) seen.push(page);
    };
    await expect(run()).rejects.toBeInstanceOf(ReportTooLargeError);
    expect(seen.map((p) => p.length)).toEqual([3, 3]);
  });

  it('says what the cap is and what to do', () => {
    expect(new ReportTooLargeError(MAX_REPORT_ROWS).message).toBe(
      'The range holds more than 10,000,000 events, the most one report can hold: request a shorter range or add a filter.',
    );
  });
});
