import { describe, expect, it } from 'vitest';
import { ApiError, getSafeNext, request } from './client';

const answer = (status: number, body?: unknown) => async () =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' }
  });

describe('request', () => {
  it('returns the JSON body of a 2xx answer', async () => {
    await expect(request('GET', '/api/me', undefined, answer(200, { user: { id: 'u1' } }))).resolves.toEqual({
      user: { id: 'u1' }
    });
  });

  it('R30: turns the server’s error sentence into the ApiError message', async () => {
    const error = await request(
      'POST',
      '/api/auth/signin',
      {},
      answer(401, { error: 'Wrong username or password.' })
    )
      .then(() => null)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).message).toBe('Wrong username or password.');
    expect((error as ApiError).isFinal).toBe(true);
  });

  it('reports an unreachable server as status 0, which is worth retrying', async () => {
    const offline = async (): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    };
    const error = (await request('GET', '/api/me', undefined, offline).catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.isFinal).toBe(false);
  });

  it('treats 5xx, 408 and 429 as retryable and other 4xx as final', () => {
    expect(new ApiError(500, 'x').isFinal).toBe(false);
    expect(new ApiError(408, 'x').isFinal).toBe(false);
    expect(new ApiError(429, 'x').isFinal).toBe(false);
    expect(new ApiError(400, 'x').isFinal).toBe(true);
    expect(new ApiError(410, 'x').isFinal).toBe(true);
  });

  it('accepts 204 without a body', async () => {
    await expect(request('POST', '/api/auth/signout', undefined, answer(204))).resolves.toBeUndefined();
  });
});

describe('getSafeNext', () => {
  it('follows same-origin paths only', () => {
    expect(getSafeNext('/invite/abc')).toBe('/invite/abc');
    expect(getSafeNext('/c/abc?x=1')).toBe('/c/abc?x=1');
    expect(getSafeNext('//evil.example/')).toBe('/');
    expect(getSafeNext('/\\evil.example')).toBe('/');
    expect(getSafeNext('https://evil.example/')).toBe('/');
    expect(getSafeNext(null)).toBe('/');
  });
});
