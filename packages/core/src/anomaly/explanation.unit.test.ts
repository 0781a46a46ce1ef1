import { describe, expect, it } from 'vitest';
import { findUnstorable } from '../storable';
import { cleanName, type IncidentFacts, parseModelExplanation, promptFacts, templateExplanation } from './explanation';

const facts: IncidentFacts = {
  metric: 'p95_ms',
  unit: 'ms',
  from: Date.UTC(2026, 10, 30, 0, 0),
  to: Date.UTC(2026, 10, 30, 1, 0),
  recent: [210, 190, 205, 950, 1210],
  baseline: { median: 200, p95: 320 },
  score: 0.93,
  components: [
    { name: 'value', value: 0.93 },
    { name: 'pattern', value: 0.5 },
  ],
  contributors: [
    { kind: 'source', name: 'api-eu', share: 0.3, current: 900, baseline: 210 },
    { kind: 'source', name: 'api-us', share: 0.45, current: 1300, baseline: 190 },
  ],
  similar: [{ id: 'inc-3', time: Date.UTC(2026, 8, 14, 8, 30), label: 'db failover', similarity: 0.85 }],
};

describe('templateExplanation', () => {
  it('states the change against the baseline, the top contributor and a similar past incident', () => {
    expect(templateExplanation(facts)).toEqual({
      summary: 'p95_ms reached 1210 ms, above its usual 200 ms (6.0× higher).',
      likelyCause:
        'The change is spread over several sources; api-us contributes most (45%). It resembles incident inc-3 (2026-09-14T08:30Z, db failover).',
      evidence: [
        'Baseline: median 200 ms, p95 320 ms; latest 1210 ms.',
        'Anomaly score 0.93, mostly from the value measure (0.93).',
        'source api-us: 1300 ms now vs 190 ms before (45% of the change).',
        'source api-eu: 900 ms now vs 210 ms before (30% of the change).',
        'Similar past window inc-3 (db failover), similarity 0.85.',
      ],
      source: 'template',
    });
  });

  it('says when one contributor carries the change, and handles a drop and no contributors', () => {
    const one = templateExplanation({
      ...facts,
      contributors: [{ ...(facts.contributors[1] as IncidentFacts['contributors'][number]), share: 0.8 }],
    });
    expect(one.likelyCause).toMatch(/^The change is concentrated in source api-us \(80% of it\)\./);
    const drop = templateExplanation({
      ...facts,
      metric: 'volume',
      unit: 'req/min',
      recent: [1000, 40],
      baseline: { median: 1000, p95: 1200 },
      contributors: [],
      similar: [],
    });
    expect(drop.summary).toBe('volume reached 40.0 req/min, below its usual 1000 req/min (25.0× lower).');
    expect(drop.likelyCause).toBe(
      'No single source or endpoint stands out; the change is across the traffic as a whole.',
    );
  });
});

describe('promptFacts', () => {
  it('keeps only the facts fields, bounds the lists and cleans client names', () => {
    const noisy = {
      ...facts,
      rawEvents: [{ properties: { email: 'x@example.com' } }],
      recent: Array.from({ length: 500 }, (_, i) => i / 3),
      contributors: Array.from({ length: 20 }, (_, i) => ({
        kind: 'endpoint' as const,
        name: `GET /x${i}\u0000\n${'y'.repeat(200)}`,
        share: i / 20,
        current: 1,
        baseline: 0,
        extra: 'raw',
      })),
    } as IncidentFacts;
    const p = promptFacts(noisy);
    expect(Object.keys(p).sort()).toEqual([
      'baseline',
      'components',
      'contributors',
      'from',
      'metric',
      'recent',
      'score',
      'similar',
      'to',
      'unit',
    ]);
    expect(JSON.stringify(p)).not.toContain('example.com');
    expect(JSON.stringify(p)).not.toContain('extra');
    expect(p.recent.length).toBe(60);
    expect(p.recent[0]).toBe(146.667);
    expect(p.contributors.map((c) => c.share)).toEqual([0.95, 0.9, 0.85, 0.8, 0.75]);
    expect(p.contributors[0]?.name.length).toBe(80);
    expect(p.contributors[0]?.name.startsWith('GET /x19y')).toBe(true);
  });

  it('sends the model the strongest measures, even when the one that fired comes last', () => {
    const names = ['value', 'pattern', 'shift', 'season', 'coarse value', 'coarse pattern', 'coarse shift'];
    const components = names.map((name, i) => ({ name, value: name === 'coarse shift' ? 0.9 : i / 100 }));
    const p = promptFacts({ ...facts, components });
    expect(p.components.map((c) => c.name)).toEqual([
      'coarse shift',
      'coarse pattern',
      'coarse value',
      'season',
      'shift',
    ]);
    expect(templateExplanation({ ...facts, components }).evidence).toContain(
      'Anomaly score 0.93, mostly from the coarse shift measure (0.90).',
    );
  });

  it('cleanName drops control characters and unpaired surrogates', () => {
    expect(cleanName('a\u0000b\u0085c\ud800d\n')).toBe('abcd');
    expect(cleanName('__proto__')).toBe('__proto__');
  });

  it('cleanName never cuts a character in two: a long endpoint with an emoji at the cut stays storable', () => {
    // 78 units, then a surrogate pair across the 79th and 80th: cutting at 79 units left a lone high surrogate,
    // which jsonb refuses, so the incident's template explanation could never be recorded.
    const name = `${'a'.repeat(78)}\u{1F600}tail`;
    const cleaned = cleanName(name);
    expect(findUnstorable(cleaned)).toBeNull();
    expect(cleaned.startsWith('a'.repeat(78))).toBe(true);
    expect(cleaned.endsWith('…')).toBe(true);
    expect(cleaned.length).toBeLessThanOrEqual(80);
    const explained = templateExplanation({
      ...facts,
      contributors: [{ kind: 'endpoint', name, share: 0.9, current: 900, baseline: 100 }],
    });
    expect(findUnstorable(explained)).toBeNull();
  });
});

describe('parseModelExplanation', () => {
  it('accepts the structured answer and bounds it', () => {
    const long = 'z'.repeat(2000);
    const e = parseModelExplanation(
      JSON.stringify({ summary: ' S ', likelyCause: long, evidence: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }),
    );
    expect(e?.summary).toBe('S');
    expect(e?.likelyCause.length).toBe(600);
    expect(e?.evidence.length).toBe(6);
    expect(e?.source).toBe('model');
  });

  it('answers only text Postgres can store, whatever the model wrote', () => {
    // A NUL, a lone surrogate, and an emoji across the 600-unit cut: jsonb refuses the first two and the half
    // emoji a plain cut leaves, and an explanation that cannot be stored blocked the tenant's alert outbox.
    const e = parseModelExplanation(
      JSON.stringify({
        summary: 'errors\u0000 rose',
        likelyCause: `${'x'.repeat(598)}\u{1F600}more`,
        evidence: ['lone \ud800 surrogate', 'fine'],
      }),
    );
    expect(e).not.toBeNull();
    expect(findUnstorable(e)).toBeNull();
    expect(e?.summary).toBe('errors\ufffd rose');
    expect(e?.likelyCause.startsWith('x'.repeat(598))).toBe(true);
    expect(e?.likelyCause.length).toBeLessThanOrEqual(600);
    expect(e?.evidence).toEqual(['lone \ufffd surrogate', 'fine']);
  });

  it('refuses anything else', () => {
    for (const text of [
      'nope',
      '[]',
      'null',
      '{"summary":"s","likelyCause":"c"}',
      '{"summary":"","likelyCause":"c","evidence":[]}',
      '{"summary":"s","likelyCause":"c","evidence":[1]}',
    ]) {
      expect(parseModelExplanation(text)).toBeNull();
    }
  });
});
