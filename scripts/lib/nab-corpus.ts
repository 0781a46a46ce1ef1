/**
 * Reading and writing corpora in NAB's layout: `data/<category>/<file>.csv` (timestamp,value) and
 * `labels/combined_windows.json` (per file, a list of [start, end] timestamps).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { LabelledSeries } from '@pulsestream/core/anomaly/nab-scorer';

/** One series of a corpus, with its raw timestamp strings kept for writing results back. */
export interface NabSeries extends LabelledSeries {
  /** `<category>/<file>.csv`, as in combined_windows.json */
  name: string;
  rawTimestamps: string[];
  rawValues: string[];
  values: number[];
}

/** NAB's timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]` without a zone; read them as UTC. */
export function parseNabTimestamp(s: string): number {
  const ms = Date.parse(`${s.trim().slice(0, 19).replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new Error(`bad NAB timestamp: ${JSON.stringify(s)}`);
  return ms;
}

function listCsv(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listCsv(path));
    else if (entry.endsWith('.csv')) out.push(path);
  }
  return out;
}

/** Reads a CSV whose first line is a header; returns the named columns as strings. */
export function readCsvColumns(path: string): Map<string, string[]> {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const columns = new Map<string, string[]>(header.map((h) => [h, []]));
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    header.forEach((h, j) => {
      columns.get(h)?.push(cells[j] ?? '');
    });
  }
  return columns;
}

/**
 * Loads every series under `root/data` (or only those of `categories`, e.g. NAB's held-out realTweets and
 * realTraffic) with its windows from `root/labels/combined_windows.json`.
 */
export function loadNabCorpus(root: string, categories?: readonly string[]): NabSeries[] {
  const windows = JSON.parse(readFileSync(join(root, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  const dataDir = join(root, 'data');
  const inCategories = (name: string) => categories === undefined || categories.includes(name.split('/')[0] ?? '');
  const names = listCsv(dataDir).map((path) => ({ path, name: relative(dataDir, path).split(sep).join('/') }));
  return names
    .filter(({ name }) => inCategories(name))
    .map(({ path, name }) => {
      const columns = readCsvColumns(path);
      const rawTimestamps = columns.get('timestamp') ?? [];
      const rawValues = columns.get('value') ?? [];
      const values = rawValues.map(Number);
      const labelled = Object.hasOwn(windows, name) ? (windows[name] ?? []) : [];
      return {
        name,
        rawTimestamps,
        rawValues,
        timestamps: rawTimestamps.map(parseNabTimestamp),
        values,
        windows: labelled.map(([a, b]) => [parseNabTimestamp(a), parseNabTimestamp(b)] as const),
      };
    });
}

/** The shared corpus: `../shared/nab` next to the repository root. */
export function defaultNabRoot(): string {
  return resolve(dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'shared', 'nab');
}

/** Writes `dir/<category>/<file>.csv` with header timestamp,value,anomaly_score, one row per input row. */
export function writeNabResults(dir: string, series: NabSeries, scores: ArrayLike<number>): void {
  const path = join(dir, ...series.name.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < series.rawTimestamps.length; i++) {
    lines.push(`${series.rawTimestamps[i]},${series.rawValues[i]},${scores[i]}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}
