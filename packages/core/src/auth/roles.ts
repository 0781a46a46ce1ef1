/**
 * Tenant roles and the rules for changing them. Pure functions so the same
 * rules apply in routes, scripts and tests without a database.
 */

/** Roles from most to least privileged. */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;

/** A user's role inside one tenant. */
export type Role = (typeof ROLES)[number];

/** Scopes an API key may carry. */
export const API_KEY_SCOPES = ['ingest', 'read'] as const;

/** One API key scope. */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

// Explicit numbers rather than array indexes so reordering ROLES can never silently invert privileges.
const RANK: Readonly<Record<Role, number>> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/**
 * Type guard for values read from untrusted input (token claims, request bodies, database rows).
 */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Type guard for API key scopes. */
export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return typeof value === 'string' && (API_KEY_SCOPES as readonly string[]).includes(value);
}

/** Numeric privilege of a role: owner 3, admin 2, member 1, viewer 0. */
export function roleRank(role: Role): number {
  return RANK[role];
}

/**
 * Whether a user holding `actual` may do something that requires `required`.
 * Hierarchical: owner > admin > member > viewer.
 */
export function hasRole(actual: Role, required: Role): boolean {
  return RANK[actual] >= RANK[required];
}

/**
 * Whether `actorRole` may grant `targetRole` to someone. Only admins and owners manage
 * users; nobody grants a role above their own, and only owners grant owner.
 */
export function canAssignRole(actorRole: Role, targetRole: Role): boolean {
  if (!hasRole(actorRole, 'admin')) return false;
  if (targetRole === 'owner') return actorRole === 'owner';
  return RANK[targetRole] <= RANK[actorRole];
}

/** Who is acting, or who is acted upon, in a user change. */
export interface RoleHolder {
  id: string;
  role: Role;
}

/** A proposed change to a tenant member: a role change, a removal, or a plain edit when neither is set. */
export interface UserChange {
  actor: RoleHolder;
  target: RoleHolder;
  newRole?: Role;
  remove?: boolean;
  /** Owners currently in the tenant, counted by the caller in the same transaction as the write. */
  ownerCount: number;
}

/** Why a user change is refused. */
export type UserChangeDenialCode = 'forbidden' | 'last_owner' | 'self_escalation';

/** Outcome of {@link checkUserChange}. */
export type UserChangeResult = { ok: true } | { ok: false; code: UserChangeDenialCode; message: string };

function deny(code: UserChangeDenialCode, message: string): UserChangeResult {
  return { ok: false, code, message };
}

/**
 * Decides whether `actor` may edit, re-role or remove `target` within one tenant.
 *
 * Rules: the actor must be admin or owner; nobody raises their own role; an admin cannot
 * touch an owner; nobody grants a role above their own (only owners grant owner); the
 * last owner can be neither removed nor demoted, so a tenant is never left ownerless.
 */
export function checkUserChange(change: UserChange): UserChangeResult {
  const { actor, target, newRole, ownerCount } = change;
  const remove = change.remove === true;
  const isSelf = actor.id === target.id;

  // Self-escalation is reported before the generic admin check so the caller gets the precise reason.
  if (isSelf && !remove && newRole !== undefined && RANK[newRole] > RANK[actor.role]) {
    return deny('self_escalation', 'You cannot raise your own role.');
  }
  if (!hasRole(actor.role, 'admin')) {
    return deny('forbidden', 'Managing users requires the admin role.');
  }
  if (target.role === 'owner' && actor.role !== 'owner') {
    return deny('forbidden', 'Only an owner can modify or remove an owner.');
  }
  if (!remove && newRole !== undefined && !canAssignRole(actor.role, newRole)) {
    return deny('forbidden', `Your role cannot grant the ${newRole} role.`);
  }
  const losesOwner = target.role === 'owner' && (remove || (newRole !== undefined && newRole !== 'owner'));
  // `<= 1` rather than `=== 1` so an inconsistent count (0) still fails closed.
  if (losesOwner && ownerCount <= 1) {
    return deny('last_owner', 'The last owner cannot be removed or demoted; promote another owner first.');
  }
  return { ok: true };
}
