import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle';

describe('throttle', () => {
  it('R63: allows a burst of the bucket size, then refuses with the seconds until the next token', () => {
    let now = 0;
    const throttle = createThrottle({ perMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) expect(throttle.take(['ip:1', 'user:kim'])).toEqual({ ok: true });
    expect(throttle.take(['ip:1', 'user:kim'])).toEqual({ ok: false, retryAfterSeconds: 20 });
    now += 20_000;
    expect(throttle.take(['ip:1', 'user:kim'])).toEqual({ ok: true });
    expect(throttle.take(['ip:1'])).toEqual({ ok: false, retryAfterSeconds: 20 });
  });

  it('R63: a refused attempt takes no token from the other keys', () => {
    const throttle = createThrottle({ perMinute: 1, now: () => 0 });
    expect(throttle.take(['user:kim'])).toEqual({ ok: true });
    expect(throttle.take(['ip:1', 'user:kim']).ok).toBe(false);
    expect(throttle.take(['ip:1', 'user:lee'])).toEqual({ ok: true });
  });
});
