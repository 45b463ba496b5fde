import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isHttps, parseCookies, serializeCookie } from './cookies';
import { hashToken, isWellFormedToken, newToken } from './tokens';

const request = (headers: Record<string, string>, encrypted = false) =>
  ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe('cookies and tokens', () => {
  it('parses a Cookie header, keeping the first of repeated names', () => {
    expect(parseCookies('a=1; parley_session=abc; a=2;  b = x%20y ')).toEqual({
      a: '1',
      parley_session: 'abc',
      b: 'x y'
    });
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies('garbage; =nothing; c=%E0%A4%A')).toEqual({ c: '%E0%A4%A' });
  });

  it('R9: session cookies are HttpOnly, SameSite=Lax, Path=/, and Secure only when asked', () => {
    const plain = serializeCookie({ name: 'parley_session', value: 'v', maxAgeSeconds: 60, secure: false });
    expect(plain).toBe('parley_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60');
    const secure = serializeCookie({ name: 'parley_guest', value: 'v', maxAgeSeconds: 60, secure: true });
    expect(secure).toMatch(/; Secure$/);
    const cleared = serializeCookie({ name: 'parley_session', value: '', maxAgeSeconds: 0, secure: false });
    expect(cleared).toMatch(/Max-Age=0; Expires=Thu, 01 Jan 1970/);
  });

  it('R9: https is recognised directly or from the proxy header, and not otherwise', () => {
    expect(isHttps(request({}, true))).toBe(true);
    expect(isHttps(request({ 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(isHttps(request({ 'x-forwarded-proto': 'https, http' }))).toBe(true);
    expect(isHttps(request({ 'x-forwarded-proto': 'http' }))).toBe(false);
    expect(isHttps(request({}))).toBe(false);
  });

  it('R6, R9: tokens are 32 random bytes in base64url and their stored hash differs from them', () => {
    const a = newToken();
    const b = newToken();
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(isWellFormedToken(a)).toBe(true);
    expect(isWellFormedToken(a.slice(1))).toBe(false);
    expect(isWellFormedToken(`${a.slice(1)}/`)).toBe(false);
    expect(hashToken(a)).not.toBe(a);
    expect(hashToken(a)).toBe(hashToken(a));
    expect(hashToken(a)).not.toBe(hashToken(b));
  });
});
