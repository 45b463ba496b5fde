import { describe, expect, it } from 'vitest';
import { CLOCK_STORAGE_KEY, pickBestSample, sampleOffset, ServerClock } from './serverClock';
import { memoryStorage } from '../../../tests/helpers/localStorage';

/**
 * A fake world: real time starts at T, the local clock runs `skew` ms behind the server's, and each
 * request takes the scripted time to go out and to come back (asymmetric legs make the midpoint wrong).
 */
function fakeWorld({ skew, legs }: { skew: number; legs: [number, number][] }) {
  let real = 1_700_000_000_000;
  const calls: number[] = [];
  const script = [...legs];
  const localNow = () => real - skew;
  const fetchTime = async (): Promise<number> => {
    const leg = script.shift();
    if (!leg) throw new TypeError('Failed to fetch');
    const [out, back] = leg;
    real += out;
    const serverNow = real;
    calls.push(serverNow);
    real += back;
    return serverNow;
  };
  return {
    localNow,
    fetchTime,
    calls,
    advance: (ms: number) => (real += ms),
    get real() {
      return real;
    }
  };
}

describe('sampleOffset / pickBestSample', () => {
  it('R71: the offset is the server time minus the midpoint of the request', async () => {
    const world = fakeWorld({ skew: 120_000, legs: [[40, 40]] });
    const sample = await sampleOffset(world.fetchTime, world.localNow);
    expect(sample).toEqual({ offset: 120_000, roundTrip: 80 });
  });

  it('keeps the sample with the shortest round trip and ignores a clock set back mid-request', () => {
    expect(
      pickBestSample([
        { offset: 5, roundTrip: 300 },
        { offset: 1, roundTrip: 20 },
        { offset: 9, roundTrip: -50 },
        { offset: 3, roundTrip: 90 }
      ])
    ).toEqual({ offset: 1, roundTrip: 20 });
    expect(pickBestSample([])).toBeNull();
  });

  it('refuses an answer without a time', async () => {
    await expect(
      sampleOffset(
        async () => Number.NaN,
        () => 0
      )
    ).rejects.toThrow();
  });
});

describe('ServerClock', () => {
  it('R71: measures a few times and uses the lowest round trip, so a lopsided slow request does not skew it', async () => {
    // The local clock is 2 minutes behind. The first request (a new connection) is slow and lopsided:
    // its midpoint is 400 ms off. The third is quick and nearly even.
    const world = fakeWorld({
      skew: 120_000,
      legs: [
        [900, 100],
        [150, 250],
        [12, 8]
      ]
    });
    const storage = memoryStorage();
    const clock = new ServerClock({ fetchTime: world.fetchTime, localNow: world.localNow, storage });
    expect(clock.measured).toBe(false);
    expect(clock.offset).toBe(0);
    expect(await clock.measure()).toBe(true);
    expect(world.calls).toHaveLength(3);
    expect(clock.offset).toBe(120_002);
    expect(clock.roundTrip).toBe(20);
    expect(clock.measured).toBe(true);
    // Within half the winning round trip of the server's real time.
    expect(Math.abs(clock.now() - world.real)).toBeLessThanOrEqual(10);
    world.advance(60_000);
    expect(Math.abs(clock.now() - world.real)).toBeLessThanOrEqual(10);
  });

  it('works with a clock that runs ahead of the server as well', async () => {
    const world = fakeWorld({ skew: -45_000, legs: [[30, 30]] });
    const clock = new ServerClock({
      fetchTime: world.fetchTime,
      localNow: world.localNow,
      storage: null,
      samples: 1
    });
    await clock.measure();
    expect(clock.offset).toBe(-45_000);
    expect(clock.now()).toBe(world.real);
  });

  it('keeps the last offset when every request fails, and remembers a good one for an offline start', async () => {
    const storage = memoryStorage();
    const online = fakeWorld({
      skew: 7_000,
      legs: [
        [10, 10],
        [10, 10],
        [10, 10]
      ]
    });
    const first = new ServerClock({ fetchTime: online.fetchTime, localNow: online.localNow, storage });
    await first.measure();
    expect(first.offset).toBe(7_000);
    expect(JSON.parse(storage.getItem(CLOCK_STORAGE_KEY)!)).toMatchObject({
      offset: 7_000,
      roundTrip: 20
    });

    // Offline now: nothing answers, the measured offset stays.
    expect(await first.measure()).toBe(false);
    expect(first.offset).toBe(7_000);

    // A new page opened offline starts from the remembered offset.
    const offline = fakeWorld({ skew: 7_000, legs: [] });
    const second = new ServerClock({ fetchTime: offline.fetchTime, localNow: offline.localNow, storage });
    expect(second.offset).toBe(7_000);
    expect(second.measured).toBe(false);
    expect(second.now()).toBe(offline.real);
    expect(await second.measure()).toBe(false);
    expect(second.offset).toBe(7_000);
  });

  it('ignores an unreadable stored offset', () => {
    const storage = memoryStorage({ [CLOCK_STORAGE_KEY]: '{not json' });
    expect(new ServerClock({ fetchTime: async () => 0, storage }).offset).toBe(0);
    const wrong = memoryStorage({ [CLOCK_STORAGE_KEY]: JSON.stringify({ offset: 'soon' }) });
    expect(new ServerClock({ fetchTime: async () => 0, storage: wrong }).offset).toBe(0);
  });

  it('re-measures on demand (reconnect), sharing a measurement in flight and skipping a fresh one when asked', async () => {
    const world = fakeWorld({
      skew: 1_000,
      legs: Array.from({ length: 6 }, (): [number, number] => [5, 5])
    });
    const clock = new ServerClock({ fetchTime: world.fetchTime, localNow: world.localNow, storage: null });
    const changes: number[] = [];
    clock.subscribe(() => changes.push(clock.offset));
    const [a, b] = [clock.measure(), clock.measure()];
    expect(a).toBe(b);
    await a;
    expect(world.calls).toHaveLength(3);
    expect(changes).toEqual([1_000]);
    await clock.measure({ ifOlderThanMs: 5_000 });
    expect(world.calls).toHaveLength(3);
    world.advance(10_000);
    await clock.measure({ ifOlderThanMs: 5_000 });
    expect(world.calls).toHaveLength(6);
    // Same offset: nobody needs telling.
    expect(changes).toEqual([1_000]);
  });
});
