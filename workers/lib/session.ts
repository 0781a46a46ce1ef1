import { generateRefreshToken, type Role, sha256Hex } from '@pulsestream/core/auth';
import { type Executor, insertRefreshToken } from '@pulsestream/db';
import { jwtService } from './auth';
import type { Config } from './config';

/** Refresh tokens live 30 days; each use replaces the token, so an active session never hits this. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** What signup, login and refresh answer with. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

/** Signs an access token for a user. */
export async function signAccessToken(config: Config, user: { id: string; tenantId: string; role: Role }) {
  return jwtService(config).sign({ sub: user.id, tid: user.tenantId, role: user.role });
}

/** Starts a session: a fresh refresh-token family (only its hash is stored) and an access token. */
export async function startSession(
  db: Executor,
  config: Config,
  user: { id: string; tenantId: string; role: Role },
): Promise<SessionTokens> {
  const access = await signAccessToken(config, user);
  const refreshToken = generateRefreshToken();
  await insertRefreshToken(db, {
    tenantId: user.tenantId,
    userId: user.id,
    familyId: crypto.randomUUID(),
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
  });
  return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn, tokenType: 'Bearer' };
}
