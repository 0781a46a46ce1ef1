import { type LoginThrottleApi, SIGNUP_THROTTLE_MAX } from '../objects/login-throttle';
import { ApiError } from './errors';

/** A login attempt that passed the throttle; settle it once the password has been checked. */
export interface LoginAttempt {
  /** The password was right: the attempt is not a failure, and the email's counter starts over. */
  succeeded(): Promise<void>;
  /** The attempt failed; it stays counted against the email and the address. */
  failed(): Promise<void>;
}

type ThrottleNamespace = { getByName(name: string): LoginThrottleApi };

/**
 * Counts a login attempt against both the email and the client address before the password is checked, and
 * refuses with 429 + `Retry-After` when either has 10 failures in the last 15 minutes. Counting first means
 * parallel guesses are bounded too. The email is lower-cased so case variants share one counter.
 */
export async function beginLoginAttempt(
  namespace: ThrottleNamespace,
  email: string,
  ip: string,
): Promise<LoginAttempt> {
  const byEmail = namespace.getByName(`email:${email.toLowerCase()}`);
  const byIp = namespace.getByName(`ip:${ip}`);
  const [emailDecision, ipDecision] = await Promise.all([byEmail.acquire(), byIp.acquire()]);
  if (!emailDecision.ok || !ipDecision.ok) {
    // Give back the slot the other key granted: a refused attempt must not count as a failure anywhere.
    await Promise.all([
      emailDecision.ok ? byEmail.release(emailDecision.attemptId) : undefined,
      ipDecision.ok ? byIp.release(ipDecision.attemptId) : undefined,
    ]);
    const retryAfter = Math.max(
      emailDecision.ok ? 0 : emailDecision.retryAfterSeconds,
      ipDecision.ok ? 0 : ipDecision.retryAfterSeconds,
    );
    throw new ApiError('rate_limited', 'Too many failed login attempts. Try again later.', {
      headers: { 'retry-after': String(retryAfter) },
    });
  }
  return {
    async succeeded() {
      await Promise.all([byEmail.reset(), byIp.release(ipDecision.attemptId)]);
    },
    async failed() {},
  };
}

/**
 * Counts a signup against the client address before its password is hashed, and refuses with 429 +
 * `Retry-After` past {@link SIGNUP_THROTTLE_MAX} in the window. Signups are never un-counted.
 */
export async function admitSignup(namespace: ThrottleNamespace, ip: string): Promise<void> {
  const decision = await namespace.getByName(`signup:${ip}`).acquire(SIGNUP_THROTTLE_MAX);
  if (!decision.ok) {
    throw new ApiError('rate_limited', 'Too many signups from this address. Try again later.', {
      headers: { 'retry-after': String(decision.retryAfterSeconds) },
    });
  }
}
