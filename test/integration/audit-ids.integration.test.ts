import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

async function signup(name: string): Promise<string> {
  const res = await exports.default.fetch('http://ps.test/v1/auth/signup', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.44' },
    body: JSON.stringify({
      tenantName: name,
      email: `${crypto.randomUUID()}@example.com`,
      password: 'correct horse battery staple',
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function auditIds(token: string): Promise<string[]> {
  const res = await exports.default.fetch('http://ps.test/v1/audit-log', {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { id: string }[] }).data.map((d) => d.id);
}

describe('audit log ids', () => {
  it('are random UUIDv7, so one tenant cannot count another tenant’s activity from them', async () => {
    const a = await signup('Audit A');
    const b = await signup('Audit B');
    const [idA] = await auditIds(a);
    const [idB] = await auditIds(b);
    for (const id of [idA, idB])
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Consecutive signups by different tenants share no countable sequence.
    expect(idA?.slice(14)).not.toBe(idB?.slice(14));
    const old = await exports.default.fetch('http://ps.test/v1/audit-log?cursor=42', {
      headers: { authorization: `Bearer ${a}` },
    });
    expect(old.status).toBe(400);
  });
});
