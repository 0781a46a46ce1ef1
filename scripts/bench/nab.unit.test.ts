import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNabBench } from './nab';

const root = mkdtempSync(join(tmpdir(), 'nab-layout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tiny corpus in NAB's layout: two categories, one series with a window and one without. */
function makeCorpus(): { a: string[]; b: string[] } {
  const stamp = (i: number) =>
    new Date(Date.UTC(2020, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ');
  const a = Array.from({ length: 400 }, (_, i) => `${stamp(i)},${i === 300 ? 90 : 10 + (i % 7)}`);
  const b = Array.from({ length: 250 }, (_, i) => `${stamp(i)},${(i % 5) * 1.5}`);
  mkdirSync(join(root, 'data', 'catA'), { recursive: true });
  mkdirSync(join(root, 'data', 'catB'), { recursive: true });
  mkdirSync(join(root, 'labels'), { recursive: true });
  writeFileSync(join(root, 'data', 'catA', 'spiky.csv'), `timestamp,value\n${a.join('\n')}\n`);
  writeFileSync(join(root, 'data', 'catB', 'flat.csv'), `timestamp,value\n${b.join('\n')}\n`);
  const windows = { 'catA/spiky.csv': [[`${stamp(280)}.000000`, `${stamp(320)}.000000`]], 'catB/flat.csv': [] };
  writeFileSync(join(root, 'labels', 'combined_windows.json'), JSON.stringify(windows));
  return { a, b };
}

describe('bench:nab --nab ROOT --out DIR', () => {
  it('writes one well-formed CSV per series, one row per input row in order, and scores the corpus', () => {
    const { a, b } = makeCorpus();
    const out = join(root, 'out');
    const results = runNabBench(['--nab', root, '--out', out, '--quiet']);
    expect(readdirSync(out).sort()).toEqual(['catA', 'catB']);
    for (const [file, input] of [
      [join(out, 'catA', 'spiky.csv'), a],
      [join(out, 'catB', 'flat.csv'), b],
    ] as const) {
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('timestamp,value,anomaly_score');
      expect(lines.length).toBe(input.length + 1);
      lines.slice(1).forEach((line, i) => {
        const cells = line.split(',');
        expect(cells.length).toBe(3);
        expect(`${cells[0]},${cells[1]}`).toBe(input[i]);
        const score = Number(cells[2]);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      });
    }
    // The spike inside the window is found, with no false alarm: null −1, perfect +1, this detector σ(p)/σ(−1).
    const spiky = readFileSync(join(out, 'catA', 'spiky.csv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1);
    expect(Number(spiky[300]?.split(',')[2])).toBeGreaterThan(0.9);
    const sigma = (x: number) => 2 / (1 + Math.exp(5 * x)) - 1;
    const hit = sigma(-(320 - 300 + 1) / 41) / sigma(-1);
    expect(results.get('pulsestream')?.get('standard')?.normalised).toBeCloseTo((100 * (hit + 1)) / 2, 6);
    expect(results.get('constant0.5')?.get('standard')?.normalised).toBe(0);
  });
});
