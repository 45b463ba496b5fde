import { api } from './client';

/**
 * The server's clock as this page estimates it (SPEC R71). Session moments are stamped by a moderator's
 * page and read by every other page, while the server checks intents by its own clock: all of them must
 * count on one clock, or a participant whose computer runs two minutes fast sees the rooms close while
 * the server still accepts their messages. The estimate is the offset of `GET /api/time` from the
 * midpoint of the request, by the local clock (Cristian's method); of a few tries the one with the
 * shortest round trip wins, since its midpoint is the surest.
 */

export interface ClockSample {
  /** Server time minus local time, in ms. */
  offset: number;
  /** How long the request took, by the local clock: the estimate is off by at most half of it. */
  roundTrip: number;
}

interface StoredOffset extends ClockSample {
  /** Local time of the measurement. */
  at: number;
}

type OffsetStorage = Pick<Storage, 'getItem' | 'setItem'>;

export const CLOCK_STORAGE_KEY = 'parley:serverClock';

export interface ServerClockOptions {
  /** Asks the server for its time (ms since the epoch). Defaults to `GET /api/time`. */
  fetchTime?: () => Promise<number>;
  /** The local clock. Defaults to `Date.now`. */
  localNow?: () => number;
  /** Where the last offset is kept, so a page opened offline still uses it; `null` for none. */
  storage?: OffsetStorage | null;
  /** Requests per measurement. */
  samples?: number;
}

/** One request: the server's time against the midpoint of the request by the local clock. */
export async function sampleOffset(
  fetchTime: () => Promise<number>,
  localNow: () => number
): Promise<ClockSample> {
  const sent = localNow();
  const serverNow = await fetchTime();
  const received = localNow();
  if (typeof serverNow !== 'number' || !Number.isFinite(serverNow)) {
    throw new Error('The server did not answer with a time.');
  }
  return { offset: serverNow - (sent + received) / 2, roundTrip: received - sent };
}

/** The sample with the shortest round trip, or `null` when there is none. */
export function pickBestSample(samples: readonly ClockSample[]): ClockSample | null {
  let best: ClockSample | null = null;
  for (const sample of samples) {
    if (sample.roundTrip < 0) continue; // the local clock was set back during the request
    if (!best || sample.roundTrip < best.roundTrip) best = sample;
  }
  return best;
}

function defaultStorage(): OffsetStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export class ServerClock {
  #fetchTime: () => Promise<number>;
  #localNow: () => number;
  #storage: OffsetStorage | null;
  #samples: number;
  #offset = 0;
  #roundTrip: number | null = null;
  /** Local time of the last successful measurement of this page (not a remembered one). */
  #measuredAt: number | null = null;
  #measuring: Promise<boolean> | null = null;
  #listeners = new Set<() => void>();

  constructor({ fetchTime, localNow, storage, samples = 3 }: ServerClockOptions = {}) {
    this.#fetchTime = fetchTime ?? (() => api.time());
    this.#localNow = localNow ?? (() => Date.now());
    this.#storage = storage === undefined ? defaultStorage() : storage;
    this.#samples = Math.max(1, samples);
    const remembered = this.#recall();
    if (remembered) {
      this.#offset = remembered.offset;
      this.#roundTrip = remembered.roundTrip;
    }
  }

  /** Server time minus local time (ms): measured, remembered from an earlier visit, or 0. */
  get offset(): number {
    return this.#offset;
  }

  /** The round trip of the sample in use, or `null` when nothing was ever measured. */
  get roundTrip(): number | null {
    return this.#roundTrip;
  }

  /** A measurement of this page succeeded (the offset is not just remembered or assumed). */
  get measured(): boolean {
    return this.#measuredAt !== null;
  }

  /** The server's time now, as estimated. */
  now(): number {
    return Math.round(this.#localNow() + this.#offset);
  }

  /** Called when the offset changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Measures the offset again (a few requests, the shortest round trip wins) and remembers it. Resolves
   * to whether it succeeded; on failure the previous offset stays. Calls while one runs share it;
   * `ifOlderThanMs` skips the work when the last measurement is more recent than that.
   */
  measure({ ifOlderThanMs }: { ifOlderThanMs?: number } = {}): Promise<boolean> {
    if (this.#measuring) return this.#measuring;
    if (
      ifOlderThanMs !== undefined &&
      this.#measuredAt !== null &&
      this.#localNow() - this.#measuredAt < ifOlderThanMs
    ) {
      return Promise.resolve(true);
    }
    const run = this.#run().finally(() => {
      this.#measuring = null;
    });
    this.#measuring = run;
    return run;
  }

  async #run(): Promise<boolean> {
    const samples: ClockSample[] = [];
    for (let i = 0; i < this.#samples; i++) {
      try {
        samples.push(await sampleOffset(this.#fetchTime, this.#localNow));
      } catch {
        // Offline or a failed request: the others may still do, else the last offset stays.
      }
    }
    const best = pickBestSample(samples);
    if (!best) return false;
    const changed = Math.round(best.offset) !== this.#offset;
    this.#offset = Math.round(best.offset);
    this.#roundTrip = best.roundTrip;
    this.#measuredAt = this.#localNow();
    this.#remember({ offset: this.#offset, roundTrip: best.roundTrip, at: this.#measuredAt });
    if (changed) for (const listener of this.#listeners) listener();
    return true;
  }

  #recall(): StoredOffset | null {
    try {
      const raw = this.#storage?.getItem(CLOCK_STORAGE_KEY);
      if (!raw) return null;
      const value = JSON.parse(raw) as Partial<StoredOffset>;
      if (typeof value.offset !== 'number' || !Number.isFinite(value.offset)) return null;
      return {
        offset: Math.round(value.offset),
        roundTrip: typeof value.roundTrip === 'number' ? value.roundTrip : 0,
        at: typeof value.at === 'number' ? value.at : 0
      };
    } catch {
      return null;
    }
  }

  #remember(value: StoredOffset): void {
    try {
      this.#storage?.setItem(CLOCK_STORAGE_KEY, JSON.stringify(value));
    } catch {
      // No storage (private mode, quota): an offline start then assumes the local clock.
    }
  }
}

/** The page's clock: one per tab. */
export const serverClock = new ServerClock();

/** The server's time now, as this page estimates it (SPEC R71). */
export function serverNow(): number {
  return serverClock.now();
}

let started = false;

/**
 * Measures once per page load and again whenever the browser comes back online. Further measurements
 * (a reconnected socket) go through `serverClock.measure()`.
 */
export function startServerClock(): void {
  if (started || typeof window === 'undefined') return;
  started = true;
  window.addEventListener('online', () => void serverClock.measure());
  void serverClock.measure();
}
