import { describe, expect, it } from 'vitest';
import { closeReply } from './live-close';

describe('closeReply', () => {
  it('answers a close frame without a status code (1005) with a normal closure', () => {
    expect(closeReply(1005)).toBe(1000);
  });

  it('sends nothing for 1006 and 1015, which no close frame carried and no frame may carry', () => {
    expect(closeReply(1006)).toBeNull();
    expect(closeReply(1015)).toBeNull();
  });

  it('echoes every other code the client sent, its own application codes included', () => {
    for (const code of [1000, 1001, 1008, 1011, 3000, 4000, 4003, 4999]) expect(closeReply(code)).toBe(code);
  });
});
