import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, url-safe: used for session cookies and invite links. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash is stored, so a leaked database holds no usable session or invite (SPEC R6, R9). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Tokens we minted: 43 base64url characters. Anything else is refused without a database lookup. */
export function isWellFormedToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** Server-minted ids (users, conversations): 16 random bytes, which pass `isValidId`. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}
