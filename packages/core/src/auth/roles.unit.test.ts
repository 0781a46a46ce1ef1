import { describe, expect, it } from 'vitest';
import type { Role, UserChange } from './roles';
import {
  API_KEY_SCOPES,
  canAssignRole,
  checkUserChange,
  hasRole,
  isApiKeyScope,
  isRole,
  ROLES,
  roleRank,
} from './roles';

describe('roles', () => {
  it('lists roles from most to least privileged', () => {
    expect(ROLES).toEqual(['owner', 'admin', 'member', 'viewer']);
    const ranks = ROLES.map(roleRank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(new Set(ranks).size).toBe(ROLES.length);
  });

  it('lists API key scopes', () => {
    expect(API_KEY_SCOPES).toEqual(['ingest', 'read']);
    expect(isApiKeyScope('ingest')).toBe(true);
    expect(isApiKeyScope('read')).toBe(true);
    expect(isApiKeyScope('write')).toBe(false);
    expect(isApiKeyScope(undefined)).toBe(false);
  });

  it('recognises only exact role strings', () => {
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    for (const bad of ['Owner', 'superadmin', '', ' admin', null, 3, {}, ['owner']]) {
      expect(isRole(bad)).toBe(false);
    }
    // Inherited Object.prototype keys must not pass as roles.
    expect(isRole('toString')).toBe(false);
  });

  it('orders roles hierarchically in hasRole', () => {
    const table: Array<[Role, Role, boolean]> = [
      ['owner', 'owner', true],
      ['owner', 'viewer', true],
      ['admin', 'owner', false],
      ['admin', 'admin', true],
      ['admin', 'member', true],
      ['member', 'admin', false],
      ['member', 'member', true],
      ['member', 'viewer', true],
      ['viewer', 'member', false],
      ['viewer', 'viewer', true],
    ];
    for (const [actual, required, expected] of table) {
      expect(hasRole(actual, required), `${actual} >= ${required}`).toBe(expected);
    }
  });

  it('lets actors assign only roles at or below their own, owner only by owners', () => {
    const allowed: Record<Role, Role[]> = {
      owner: ['owner', 'admin', 'member', 'viewer'],
      admin: ['admin', 'member', 'viewer'],
      member: [],
      viewer: [],
    };
    for (const actor of ROLES) {
      for (const target of ROLES) {
        expect(canAssignRole(actor, target), `${actor} grants ${target}`).toBe(allowed[actor].includes(target));
      }
    }
  });
});

describe('checkUserChange', () => {
  const owner = { id: 'u-owner', role: 'owner' as const };
  const owner2 = { id: 'u-owner2', role: 'owner' as const };
  const admin = { id: 'u-admin', role: 'admin' as const };
  const admin2 = { id: 'u-admin2', role: 'admin' as const };
  const member = { id: 'u-member', role: 'member' as const };
  const viewer = { id: 'u-viewer', role: 'viewer' as const };

  const check = (change: Partial<UserChange> & Pick<UserChange, 'actor' | 'target'>) =>
    checkUserChange({ ownerCount: 1, ...change });

  it('allows an owner to manage anyone', () => {
    expect(check({ actor: owner, target: admin, newRole: 'member' })).toEqual({ ok: true });
    expect(check({ actor: owner, target: member, newRole: 'owner' })).toEqual({ ok: true });
    expect(check({ actor: owner, target: viewer, remove: true })).toEqual({ ok: true });
    expect(check({ actor: owner, target: owner2, newRole: 'admin', ownerCount: 2 })).toEqual({ ok: true });
    expect(check({ actor: owner, target: owner2, remove: true, ownerCount: 2 })).toEqual({ ok: true });
  });

  it('allows an admin to manage admins and below', () => {
    expect(check({ actor: admin, target: member, newRole: 'admin' })).toEqual({ ok: true });
    expect(check({ actor: admin, target: admin2, newRole: 'viewer' })).toEqual({ ok: true });
    expect(check({ actor: admin, target: viewer, remove: true })).toEqual({ ok: true });
    expect(check({ actor: admin, target: member })).toEqual({ ok: true });
  });

  it('refuses members and viewers', () => {
    for (const actor of [member, viewer]) {
      expect(check({ actor, target: viewer, newRole: 'viewer' })).toMatchObject({ ok: false, code: 'forbidden' });
      expect(check({ actor, target: viewer, remove: true })).toMatchObject({ ok: false, code: 'forbidden' });
      expect(check({ actor, target: viewer })).toMatchObject({ ok: false, code: 'forbidden' });
    }
  });

  it('refuses raising your own role, whatever your role', () => {
    expect(check({ actor: admin, target: admin, newRole: 'owner' })).toMatchObject({
      ok: false,
      code: 'self_escalation',
    });
    expect(check({ actor: member, target: member, newRole: 'admin' })).toMatchObject({
      ok: false,
      code: 'self_escalation',
    });
    expect(check({ actor: viewer, target: viewer, newRole: 'member' })).toMatchObject({
      ok: false,
      code: 'self_escalation',
    });
  });

  it('allows lowering your own role when you are not the last owner', () => {
    expect(check({ actor: admin, target: admin, newRole: 'member' })).toEqual({ ok: true });
    expect(check({ actor: owner, target: owner, newRole: 'admin', ownerCount: 2 })).toEqual({ ok: true });
  });

  it('refuses an admin touching an owner', () => {
    expect(check({ actor: admin, target: owner, newRole: 'member', ownerCount: 3 })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(check({ actor: admin, target: owner, remove: true, ownerCount: 3 })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(check({ actor: admin, target: owner, ownerCount: 3 })).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('refuses an admin granting owner to someone else', () => {
    expect(check({ actor: admin, target: member, newRole: 'owner' })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
  });

  it('protects the last owner from removal and demotion, including by themselves', () => {
    expect(check({ actor: owner, target: owner, remove: true, ownerCount: 1 })).toMatchObject({
      ok: false,
      code: 'last_owner',
    });
    expect(check({ actor: owner, target: owner, newRole: 'admin', ownerCount: 1 })).toMatchObject({
      ok: false,
      code: 'last_owner',
    });
    expect(check({ actor: owner, target: owner2, remove: true, ownerCount: 1 })).toMatchObject({
      ok: false,
      code: 'last_owner',
    });
    // An inconsistent count fails closed.
    expect(check({ actor: owner, target: owner2, remove: true, ownerCount: 0 })).toMatchObject({
      ok: false,
      code: 'last_owner',
    });
  });

  it('lets the last owner keep owner or be edited without a role change', () => {
    expect(check({ actor: owner, target: owner, newRole: 'owner', ownerCount: 1 })).toEqual({ ok: true });
    expect(check({ actor: owner, target: owner, ownerCount: 1 })).toEqual({ ok: true });
  });

  it('gives a human-readable message with every refusal', () => {
    const result = check({ actor: admin, target: owner, remove: true });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeGreaterThan(10);
  });
});
