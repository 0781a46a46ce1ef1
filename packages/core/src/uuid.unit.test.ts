import { describe, expect, it } from 'vitest';
import { isDeliveryId } from './notifications/message';
import { isUuid } from './uuid';

describe('isUuid and isDeliveryId', () => {
  it('take canonical UUIDs of any version and case, and nothing else', () => {
    expect(isUuid('0192f1c2-7b3a-7c4d-8e5f-60718293a4b5')).toBe(true);
    expect(isUuid('0192F1C2-7B3A-4C4D-8E5F-60718293A4B5')).toBe(true);
    for (const v of [
      undefined,
      null,
      1,
      '',
      '0192f1c27b3a7c4d8e5f60718293a4b5',
      '0192f1c2-7b3a-7c4d-8e5f-60718293a4b5\n',
    ])
      expect(isUuid(v)).toBe(false);
  });

  it('take bounded printable ASCII delivery ids only', () => {
    expect(isDeliveryId('alert:0192f1c2:channel')).toBe(true);
    for (const v of [undefined, null, 7, '', 'a b', 'x\u0000', 'é', 'x'.repeat(201)])
      expect(isDeliveryId(v)).toBe(false);
  });
});
