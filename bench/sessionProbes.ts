/**
 * Probes of the breakout-session benchmarks (bench/session.ts), in the shape of bench/fanout.ts's
 * `FanoutProbe` so that the reader processes run them like the others.
 *
 * - `sessionProbe`: even rounds start a breakout session (`startSession`), odd rounds end it with a closing
 *   countdown of 0 s (`endSession`), so the phase is idle again before the next start. Every reader is a
 *   participant: on every control-document change it works out its own place as the app does (`Locator`:
 *   the tidy view over the member list, rebuilt after setup changes only; readSession, getSessionPhase,
 *   readReturned and getLocation with its own user id on every change). It has seen a start once the phase is running AND its own room is set; an end once the
 *   phase is no longer running and it is back in the main room.
 * - `chatProbe`: the reader watches a chat document's `messages` array for the round's text.
 */
import type * as Y from 'yjs';
import { tidyBreakout, type Member } from '../src/lib/domain/breakout';
import { asUserId, type RoomId, type UserId } from '../src/lib/domain/ids';
import { getLocation, getSessionPhase } from '../src/lib/domain/session';
import {
  autoAssign,
  createRooms,
  endSession,
  observeControl,
  readBreakoutState,
  readReturned,
  readSession,
  startSession
} from '../src/lib/sync/control';
import type { FanoutProbe } from './fanout';

export interface MemberSpec {
  userId: string;
  isModerator: boolean;
}

/** Rooms of the session benchmark: the app's maximum, so the document is as large as a setup gets. */
export const SESSION_ROOMS = 100;
/** A fixed seed, so Parley's and the stock server's documents hold the same spread. */
const SEED = 0x5eed;

/**
 * Where one participant is, derived as the app does (src/lib/state): the tidy view of the setup is kept
 * and rebuilt only after a setup change (`BreakoutSetupState` observes the `setup` part), while a session
 * change (start, end) only re-reads the session's moments and returns (`SessionState`) and looks the
 * participant up in the kept view.
 */
export class Locator {
  #roomOf: ReadonlyMap<UserId, RoomId> | null = null;

  constructor(
    private readonly members: Member[],
    private readonly userId: UserId
  ) {}

  /** The setup changed: the kept view is stale. */
  setupChanged(): void {
    this.#roomOf = null;
  }

  locate(doc: Y.Doc) {
    this.#roomOf ??= tidyBreakout({ state: readBreakoutState(doc), members: this.members }).roomOf;
    const phase = getSessionPhase({ session: readSession(doc), now: Date.now() });
    const location = getLocation({
      phase,
      roomOf: this.#roomOf,
      returned: readReturned(doc),
      userId: this.userId
    });
    return { phase, location };
  }
}

export function sessionProbe({ members: specs }: { members: MemberSpec[] }): FanoutProbe {
  const members: Member[] = specs.map((m) => ({ userId: asUserId(m.userId), isModerator: m.isModerator }));
  const locators = new WeakMap<Y.Doc, Locator>();
  return {
    prepare(writer) {
      // The moderator's setup, as "Automatically assign" makes it: rooms, then a seeded spread.
      if (readBreakoutState(writer).rooms.length === 0) {
        const created = createRooms(writer, { count: SESSION_ROOMS, mode: 'automatic', actor: 'bench' });
        if (!created.ok) throw new Error(`bench session setup: ${created.error}`);
        const assigned = autoAssign(writer, { members, seed: SEED, now: Date.now(), actor: 'bench' });
        if (!assigned.ok) throw new Error(`bench session setup: ${assigned.error}`);
      }
      // Rounds begin with a start: a session left running (an earlier run's) is ended first.
      if (getSessionPhase({ session: readSession(writer), now: Date.now() }).kind === 'running') {
        endSession(writer, { closingSeconds: 0, now: Date.now(), actor: 'bench' });
      }
    },
    change(writer, round) {
      const result =
        round % 2 === 0
          ? startSession(writer, {
              timerMinutes: null,
              moveAutomatically: true,
              allowReturn: false,
              now: Date.now(),
              actor: 'bench'
            })
          : endSession(writer, { closingSeconds: 0, now: Date.now(), actor: 'bench' });
      if (!result.ok) throw new Error(`bench session change: ${result.error}`);
    },
    watch(reader, changed) {
      observeControl(reader, () => {
        locators.get(reader)?.setupChanged();
        changed();
      }, ['setup']);
      observeControl(reader, () => changed(), ['session']);
    },
    shows(reader, round, userId) {
      if (userId === undefined) throw new Error('the session probe needs each reader’s user id');
      let locator = locators.get(reader);
      if (!locator) locators.set(reader, (locator = new Locator(members, asUserId(userId))));
      const { phase, location } = locator.locate(reader);
      return round % 2 === 0
        ? phase.kind === 'running' && location !== null
        : phase.kind !== 'running' && location === null;
    }
  };
}

interface ChatEntry {
  text?: unknown;
}

/** The text of `round`'s message; a tag per run, so an entry of an earlier run never passes for it. */
export const chatText = (tag: string, round: number) => `Bench broadcast ${tag} ${round}`;

export function chatProbe({ tag }: { tag: string }): FanoutProbe {
  return {
    change() {
      throw new Error('the chat probe is written through the server (a broadcast), not by a client');
    },
    watch(reader, changed) {
      reader.getArray<ChatEntry>('messages').observe(() => changed());
    },
    shows(reader, round) {
      const messages = reader.getArray<ChatEntry>('messages');
      const text = chatText(tag, round);
      // The round's entry is the newest one; a few more are looked at in case another came after it.
      for (let i = messages.length - 1; i >= Math.max(0, messages.length - 4); i--) {
        if (messages.get(i)?.text === text) return true;
      }
      return false;
    }
  };
}
