import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LOGIN_THROTTLE_WINDOW_MS } from '../../workers/objects/login-throttle';

describe('login throttle cleanup', () => {
  it('keeps counting after its alarm cleared an idle key (the table was dropped with the storage)', async () => {
    const stub = env.LOGIN_THROTTLE.getByName(`email:cleanup-${crypto.randomUUID()}@example.com`);
    expect((await stub.acquire()).ok).toBe(true);
    // Age the attempt past the window, so the alarm finds nothing left and clears the object's storage.
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec('UPDATE attempts SET at = at - ?', LOGIN_THROTTLE_WINDOW_MS + 1000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The same live instance serves the next attempt: it answered 500 "no such table: attempts" before.
    expect((await stub.acquire()).ok).toBe(true);
    expect(await stub.failures()).toBe(1);
  });
});
