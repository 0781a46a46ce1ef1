import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { connectLive, liveTicket } from '../helpers/live';
import { createTestTenant, createTestUser } from '../helpers/tenants';

async function upgrade(ticket: string): Promise<number> {
  const res = await exports.default.fetch(`http://ps.test/v1/live?ticket=${encodeURIComponent(ticket)}`, {
    headers: { Upgrade: 'websocket' },
  });
  res.webSocket?.accept();
  res.webSocket?.close(1000);
  return res.status;
}

describe('live access follows the user', () => {
  it('a deleted user: unused tickets are refused and open sockets closed at once', async () => {
    const owner = await createTestTenant({ role: 'owner' });
    const viewer = await createTestUser(owner.tenantId, 'viewer');
    const unused = await liveTicket(viewer.bearer);
    const socket = await connectLive(await liveTicket(viewer.bearer));
    await socket.waitFor((f) => f.type === 'snapshot');

    const res = await exports.default.fetch(`http://ps.test/v1/users/${viewer.userId}`, {
      method: 'DELETE',
      headers: { authorization: owner.bearer },
    });
    expect(res.status).toBe(204);
    expect((await socket.waitForClose()).code).toBe(4003);
    expect(await upgrade(unused)).toBe(401);
    // And no new ticket: the deleted user's token is refused.
    const again = await exports.default.fetch('http://ps.test/v1/live/ticket', {
      method: 'POST',
      headers: { authorization: viewer.bearer },
    });
    expect(again.status).toBe(401);
  });

  it('a demoted user: old tickets and sockets end, and other users sockets stay open', async () => {
    const owner = await createTestTenant({ role: 'owner' });
    const admin = await createTestUser(owner.tenantId, 'admin');
    const unused = await liveTicket(admin.bearer);
    const socket = await connectLive(await liveTicket(admin.bearer));
    await socket.waitFor((f) => f.type === 'snapshot');
    const other = await connectLive(await liveTicket(owner.bearer));
    await other.waitFor((f) => f.type === 'snapshot');

    const res = await exports.default.fetch(`http://ps.test/v1/users/${admin.userId}`, {
      method: 'PATCH',
      headers: { authorization: owner.bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'viewer' }),
    });
    expect(res.status).toBe(200);
    expect((await socket.waitForClose()).code).toBe(4003);
    expect(await upgrade(unused)).toBe(401);
    // Other users' sockets are untouched.
    expect(other.closed).toBeNull();
    other.ws.close(1000);
  });
});

describe('live subscribe rate', () => {
  it('answers a subscribe flood with error frames, then closes the socket (1008)', async () => {
    const owner = await createTestTenant({ role: 'owner' });
    const socket = await connectLive(await liveTicket(owner.bearer));
    await socket.waitFor((f) => f.type === 'snapshot');
    for (let i = 0; i < 40; i++) socket.ws.send(JSON.stringify({ type: 'subscribe', filter: { source: `s${i}` } }));
    await socket.waitFor((f) => f.type === 'error' && /too many subscribe/.test(String(f.message)));
    expect((await socket.waitForClose()).code).toBe(1008);
    // At most the burst was answered with snapshots (plus the one on connect).
    expect(socket.frames.filter((f) => f.type === 'snapshot').length).toBeLessThanOrEqual(11);
  });
});
