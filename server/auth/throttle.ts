/**
 * Attempt limits for sign-in and sign-up (SPEC R63): one token bucket per key (an IP address, a
 * username), kept in memory. Each attempt takes a token; a bucket refills at its full size per
 * minute, so bursts up to the size pass and steady guessing is slowed to that rate.
 */
export interface Throttle {
  /**
   * Takes one token from every key's bucket, or none when one of them is empty: then answers how
   * many whole seconds until that bucket has a token again.
   */
  take(keys: string[]): { ok: true } | { ok: false; retryAfterSeconds: number };
}

/** Buckets kept before full ones are dropped, so a flood of distinct keys cannot grow memory for good. */
const MAX_BUCKETS = 10_000;

export function createThrottle({
  perMinute,
  now
}: {
  /** Bucket size and refill per minute; `Infinity` turns the throttle off. */
  perMinute: number;
  now: () => number;
}): Throttle {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = perMinute / 60_000;

  function level(key: string, at: number): number {
    const bucket = buckets.get(key);
    if (!bucket) return perMinute;
    return Math.min(perMinute, bucket.tokens + (at - bucket.at) * refillPerMs);
  }

  function prune(at: number): void {
    if (buckets.size < MAX_BUCKETS) return;
    for (const key of [...buckets.keys()]) if (level(key, at) >= perMinute) buckets.delete(key);
  }

  return {
    take(keys) {
      if (perMinute === Infinity) return { ok: true };
      const at = now();
      const levels = keys.map((key) => level(key, at));
      const lowest = Math.min(...levels);
      if (lowest < 1)
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - lowest) / refillPerMs / 1000)) };
      prune(at);
      keys.forEach((key, i) => buckets.set(key, { tokens: levels[i] - 1, at }));
      return { ok: true };
    }
  };
}
