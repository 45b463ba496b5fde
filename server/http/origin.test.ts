import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createOriginCheck, getRequestOrigin } from './origin';

const request = (headers: Record<string, string>) =>
  ({ headers, socket: { encrypted: false } }) as unknown as IncomingMessage;

describe('origin check', () => {
  const isAllowedOrigin = createOriginCheck({
    allowedOrigins: ['https://app.example.org/', 'http://localhost:5173']
  });

  it('R13: no Origin header (a non-browser client) passes; cookies decide', () => {
    expect(isAllowedOrigin(request({ host: 'parley.test' }))).toBe(true);
  });

  it('R13: the request’s own origin passes, in any letter case', () => {
    expect(isAllowedOrigin(request({ host: 'parley.test:3000', origin: 'http://parley.test:3000' }))).toBe(
      true
    );
    expect(isAllowedOrigin(request({ host: 'parley.test:3000', origin: 'http://PARLEY.test:3000' }))).toBe(
      true
    );
    expect(
      isAllowedOrigin(
        request({ host: 'parley.test', origin: 'https://parley.test', 'x-forwarded-proto': 'https' })
      )
    ).toBe(true);
  });

  it('R13: listed origins pass (trailing slash in the list ignored)', () => {
    expect(isAllowedOrigin(request({ host: 'parley.test', origin: 'https://app.example.org' }))).toBe(true);
    expect(isAllowedOrigin(request({ host: 'parley.test', origin: 'http://localhost:5173' }))).toBe(true);
  });

  it('R13: any other origin fails, including another port, scheme, a look-alike and "null"', () => {
    for (const origin of [
      'http://parley.test:3001',
      'https://parley.test:3000',
      'http://parley.test:3000.evil.example',
      'https://evil.example',
      'null'
    ]) {
      expect(isAllowedOrigin(request({ host: 'parley.test:3000', origin })), origin).toBe(false);
    }
  });

  it('builds the request origin from Host and the scheme', () => {
    expect(getRequestOrigin(request({ host: 'localhost:3000' }))).toBe('http://localhost:3000');
  });
});
