import type { UserChangeOutcome } from '@pulsestream/db';
import type { AppContext } from '../../lib/app';
import { ApiError } from '../../lib/errors';

/**
 * Closes a user's live sockets and unused live tickets after the user was deleted or their role changed.
 * The change is already committed, and the user can get no new ticket (every request re-checks users), so
 * a failure here must be loud: the caller answers 503 and the admin can repeat the change.
 */
export async function revokeLiveAccess(c: AppContext, tenantId: string, userId: string): Promise<void> {
  try {
    await c.env.TENANT_HUB.getByName(tenantId).revokeUser(userId);
  } catch (err) {
    c.get('logger').error('users: closing live access failed', { user: userId, error: (err as Error).message });
    throw new ApiError('unavailable', 'The change is saved, but open live sessions could not be closed; retry.');
  }
}

/** Maps a refused user change to its problem: unknown (or another tenant's) user 404, policy 403, email 409. */
export function changeFailure(outcome: Exclude<UserChangeOutcome, { ok: true }>): ApiError {
  switch (outcome.reason) {
    case 'not_found':
      return new ApiError('not_found', 'No such user.');
    case 'conflict':
      return new ApiError('conflict', 'A user with this email already exists in the tenant.');
    case 'denied':
      // The last-owner rule is a state conflict rather than a permission: any role would be refused.
      return outcome.code === 'last_owner'
        ? new ApiError('conflict', outcome.message)
        : new ApiError('forbidden', outcome.message);
  }
}
