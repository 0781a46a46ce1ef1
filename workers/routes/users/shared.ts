import type { UserChangeOutcome } from '@pulsestream/db';
import { ApiError } from '../../lib/errors';

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
