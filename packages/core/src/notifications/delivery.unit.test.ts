import { describe, expect, it } from 'vitest';
import { classifyStatus, describeExplanation, describeNotification, retryDelaySeconds } from './delivery';

describe('delivery policy', () => {
  it('retries 5xx, 408 and 429; 4xx and redirects are final; 2xx succeeds', () => {
    expect(classifyStatus(200).kind).toBe('success');
    expect(classifyStatus(204).kind).toBe('success');
    for (const s of [500, 502, 503, 408, 429]) expect(classifyStatus(s).kind, String(s)).toBe('retry');
    for (const s of [400, 401, 404, 410, 422]) expect(classifyStatus(s).kind, String(s)).toBe('final');
    const redirect = classifyStatus(302);
    expect(redirect.kind).toBe('final');
    expect(redirect.kind !== 'success' && redirect.error).toMatch(/not followed/);
  });

  it('backs off 1, 2, 4, 8 … seconds, capped at 5 minutes', () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 16]);
    expect(retryDelaySeconds(20)).toBe(300);
  });

  it('describes an alert with its rule, value and threshold', () => {
    expect(
      describeNotification('alert.firing', {
        ruleName: 'Stripe errors',
        severity: 'critical',
        metric: 'error_rate',
        value: 0.51234,
        threshold: 0.2,
      }),
    ).toBe('FIRING [critical] Stripe errors: error_rate = 0.5123 (threshold 0.2)');
  });

  it('describes a failed report with its error and id, and a malformed one without throwing', () => {
    expect(
      describeNotification('report.failed', {
        reportId: 'r-1',
        error: 'The range holds more than 39 events, the most one report can hold.',
      }),
    ).toBe('Report failed: The range holds more than 39 events, the most one report can hold. (report r-1)');
    expect(describeNotification('report.failed', { error: 7 })).toBe('Report failed: unknown error (report unknown)');
  });

  it('adds the incident explanation as text lines, and nothing for a missing or malformed one', () => {
    const explanation = {
      summary: 'error_rate reached 50%, above its usual 2%.',
      likelyCause: 'Endpoint POST /pay.',
      evidence: ['a', 7, 'b', 'c', 'd', 'e', 'f'],
      source: 'template',
    };
    expect(describeExplanation({ explanation })).toBe(
      'error_rate reached 50%, above its usual 2%.\nLikely cause: Endpoint POST /pay.\n- a\n- b\n- c\n- d',
    );
    expect(describeExplanation({})).toBe('');
    expect(describeExplanation({ explanation: { summary: 3 } })).toBe('');
    expect(describeExplanation({ explanation: 'text' })).toBe('');
  });
});
