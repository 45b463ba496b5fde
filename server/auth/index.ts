import type { IncomingMessage } from 'node:http';
import { asUserId, type UserId } from '../../src/lib/domain/ids';
import type { MemberKind } from '../../src/lib/domain/roles';
import type { Persistence, User } from '../persistence/types';
import { UsernameTakenError } from '../persistence/types';
import type { Identity } from './identity';
import { GUEST_COOKIE, SESSION_COOKIE, isHttps, parseCookies, serializeCookie } from './cookies';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password';
import { hashToken, isWellFormedToken, newId, newToken } from './tokens';

export { GUEST_COOKIE, SESSION_COOKIE } from './cookies';
export type { Identity } from './identity';
export { UsernameTakenError };

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface Auth {
  /** The account or guest behind the request's cookies; the session cookie wins over the guest cookie. */
  identify(req: IncomingMessage): Promise<Identity | null>;
  /** Same as `identify`, with the full user record. */
  currentUser(req: IncomingMessage): Promise<User | null>;
  /** The guest behind the guest cookie alone (used to reuse a guest identity when joining again). */
  currentGuest(req: IncomingMessage): Promise<User | null>;
  /** Throws `UsernameTakenError` for a taken username. Inputs must already be checked. */
  signUp(input: { username: string; password: string; displayName: string }): Promise<User>;
  /** `null` for an unknown user and for a wrong password alike (SPEC R8). */
  signIn(input: { username: string; password: string }): Promise<User | null>;
  createGuest(input: { displayName: string }): Promise<User>;
  /** Stores a new session and returns the Set-Cookie header that carries it (SPEC R9). */
  startSession(options: { req: IncomingMessage; userId: UserId; kind: MemberKind }): Promise<string>;
  /**
   * Deletes the request's session (the account's, else the guest's) and returns Set-Cookie headers
   * clearing both cookies.
   */
  endSession(req: IncomingMessage): Promise<string[]>;
}

export function createAuth({ persistence, now }: { persistence: Persistence; now: () => number }): Auth {
  async function userFromCookie(token: string | undefined, kind: MemberKind): Promise<User | null> {
    if (!token || !isWellFormedToken(token)) return null;
    const tokenHash = hashToken(token);
    const session = await persistence.getSession(tokenHash);
    if (!session) return null;
    if (session.expiresAt <= now()) {
      await persistence.deleteSession(tokenHash);
      return null;
    }
    const user = await persistence.getUser(session.userId);
    // A guest token in the session cookie (or the reverse) is not honoured: each cookie holds one kind.
    return user && user.kind === kind ? user : null;
  }

  async function currentUser(req: IncomingMessage): Promise<User | null> {
    const cookies = parseCookies(req.headers.cookie);
    return (
      (await userFromCookie(cookies[SESSION_COOKIE], 'account')) ??
      (await userFromCookie(cookies[GUEST_COOKIE], 'guest'))
    );
  }

  return {
    currentUser,
    async identify(req) {
      const user = await currentUser(req);
      return user ? { userId: user.id, kind: user.kind, displayName: user.displayName } : null;
    },
    async currentGuest(req) {
      return userFromCookie(parseCookies(req.headers.cookie)[GUEST_COOKIE], 'guest');
    },
    async signUp({ username, password, displayName }) {
      // Checked before the scrypt work so that a taken name answers quickly; the insert still guards races.
      if (await persistence.getUserSecretByUsername(username)) throw new UsernameTakenError(username);
      const { passwordHash, salt } = await hashPassword(password);
      return persistence.createUser({
        id: asUserId(newId()),
        username,
        displayName,
        kind: 'account',
        passwordHash,
        salt,
        createdAt: now()
      });
    },
    async signIn({ username, password }) {
      const secret = await persistence.getUserSecretByUsername(username);
      if (!secret || secret.passwordHash === null || secret.salt === null) {
        return verifyAgainstDummy(password).then(() => null);
      }
      const ok = await verifyPassword({ password, passwordHash: secret.passwordHash, salt: secret.salt });
      return ok ? secret.user : null;
    },
    async createGuest({ displayName }) {
      return persistence.createUser({
        id: asUserId(newId()),
        username: null,
        displayName,
        kind: 'guest',
        passwordHash: null,
        salt: null,
        createdAt: now()
      });
    },
    async startSession({ req, userId, kind }) {
      const token = newToken();
      await persistence.createSession({
        tokenHash: hashToken(token),
        userId,
        expiresAt: now() + SESSION_TTL_MS
      });
      return serializeCookie({
        name: kind === 'guest' ? GUEST_COOKIE : SESSION_COOKIE,
        value: token,
        maxAgeSeconds: SESSION_TTL_MS / 1000,
        secure: isHttps(req)
      });
    },
    async endSession(req) {
      const cookies = parseCookies(req.headers.cookie);
      const secure = isHttps(req);
      // Signing out ends the account session; only someone signed in as a guest alone ends the guest's.
      // Both cookies go either way, so the browser is signed out of everyone (SPEC R9).
      const name = cookies[SESSION_COOKIE] ? SESSION_COOKIE : GUEST_COOKIE;
      const token = cookies[name];
      if (token && isWellFormedToken(token)) await persistence.deleteSession(hashToken(token));
      return [SESSION_COOKIE, GUEST_COOKIE].map((cookie) =>
        serializeCookie({ name: cookie, value: '', maxAgeSeconds: 0, secure })
      );
    }
  };
}
