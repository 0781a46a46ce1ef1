import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStringRules, redactString } from './redact';

// Pieces that make the rules match (and near misses), mixed with arbitrary text, so the strings generated hit
// every rule, its case variants and its boundaries, not only text that contains none of the words.
const PIECES = [
  'Bearer ',
  'bearer ',
  'BEARER ',
  'Basic ',
  'basic ',
  'abcdefgh12345678',
  'password=',
  'PASSWORD=',
  'refresh_token=',
  'secret=',
  'api_key=',
  'api-key=',
  'apikey=',
  'ps_live_',
  'PS_LIVE_',
  'psr_',
  'pst_',
  'PST_',
  '0123456789abcdef0123456789abcdef_',
  'eyJ',
  'EYJ',
  '.',
  '=',
  '&',
  ' ',
  'x',
  'Q9',
];

describe('redactString: the pre-test never skips a credential', () => {
  it('gives the same text as running every rule', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 12 }),
        (parts) => {
          const text = parts.join('');
          expect(redactString(text)).toBe(applyStringRules(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves text without a credential word unchanged and redacts one with it', () => {
    expect(redactString('/v1/events POST 202')).toBe('/v1/events POST 202');
    expect(redactString('token=abc123')).toBe('token=[redacted]');
    expect(redactString(`/v1/live?t=pst_${'ab'.repeat(16)}_s3cr3t`)).toBe('/v1/live?t=[redacted]');
  });
});
