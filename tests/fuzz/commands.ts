/**
 * Seeded random commands for convergence fuzzing: the moderators' named commands of
 * src/lib/sync/control.ts with random but plausible arguments (rooms that exist, rooms removed or
 * never seen on this replica, bad input that R49 must refuse), and the participants' intents through
 * the server's real code (server/breakout: choose a room, ask for help, go back to the main room, …),
 * which is what writes help requests and "Back to main room" marks into the control document.
 *
 * The conversation has 12 members: two moderators and ten participants. Membership changes during a
 * run: `p10` joins late (placed by the server in automatic mode, R47), `p09` leaves and `p08` becomes a
 * moderator (R4), so the tidy view must read their assignments as unassigned (R43).
 */
import type * as Y from 'yjs';
import { createBreakout, type Breakout } from '../../server/breakout/index';
import type { Persistence } from '../../server/persistence/types';
import type { SyncServer } from '../../server/sync/types';
import {
  ASSIGNMENT_MODES,
  tidyBreakout,
  type AssignmentMode,
  type Member
} from '../../src/lib/domain/breakout';
import { asConversationId, asRoomId, asUserId, type RoomId, type UserId } from '../../src/lib/domain/ids';
import { isModerator, type Role } from '../../src/lib/domain/roles';
import { getSessionPhase, type ClosingSeconds } from '../../src/lib/domain/session';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  clearHelpRequestsForRoom,
  clearSetup,
  createRooms,
  dismissHelpRequest,
  endSession,
  extendTimer,
  readBreakoutState,
  readHelpRequests,
  readSession,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap,
  startSession
} from '../../src/lib/sync/control';
import type { Problem } from './invariants';
import { pick, pickIndex, type Random, type Replica } from './network';

export const CONVERSATION = asConversationId('fuzzconv01');
export const MODERATORS = ['mod-ana', 'mod-ben'].map(asUserId);
export const PARTICIPANTS = Array.from({ length: 10 }, (_, i) =>
  asUserId(`p${String(i + 1).padStart(2, '0')}`)
);
export const LATE_JOINER = PARTICIPANTS[9];
export const LEAVER = PARTICIPANTS[8];
export const PROMOTED = PARTICIPANTS[7];
/** Someone who was never a member: assigning them must be refused (R49). */
export const STRANGER = asUserId('stranger');
/** A room id no replica ever created. */
export const BOGUS_ROOM = asRoomId('no-such-room');

const MINUTE = 60_000;

/** One command or intent as it ran: what the failure trace prints. */
export interface CommandRecord {
  step: number;
  replica: number;
  actor: string;
  name: string;
  /** The arguments as given (for postconditions)… */
  params: Record<string, unknown>;
  /** …and as printed. */
  args: string;
  ok: boolean;
  error?: string;
  /** A postcondition the command itself found broken. */
  violation?: Problem;
}

/** The world around the replicas: members over time, the fake clock and every room id ever made. */
export class World {
  /** The fake clock (ms); advances every step. */
  now = Date.UTC(2030, 0, 1, 9, 0, 0);
  /** Each replica's clock is off by a few seconds (R71 derives the phase from each replica's clock). */
  readonly skew: number[];
  readonly roles = new Map<UserId, Role>();
  /** Every room id any replica ever created, plus one that never existed. */
  readonly roomIds: RoomId[] = [BOGUS_ROOM];

  constructor(
    private readonly random: Random,
    replicas: number
  ) {
    this.skew = Array.from({ length: replicas }, () => Math.round((random() - 0.5) * 6_000));
    this.roles.set(MODERATORS[0], 'owner');
    this.roles.set(MODERATORS[1], 'moderator');
    for (const p of PARTICIPANTS) if (p !== LATE_JOINER) this.roles.set(p, 'participant');
  }

  clock(replica: number): number {
    return this.now + this.skew[replica];
  }

  members(): Member[] {
    return [...this.roles].map(([userId, role]) => ({ userId, isModerator: isModerator(role) }));
  }

  participants(): Set<UserId> {
    return new Set(
      this.members()
        .filter((m) => !m.isModerator)
        .map((m) => m.userId)
    );
  }

  /** Advances the clock: mostly seconds, now and then minutes, so timers run out (R71, R72). */
  tick(): void {
    const r = this.random();
    this.now +=
      r < 0.95 ? 1_000 + Math.floor(this.random() * 20_000) : Math.floor(this.random() * 10 * MINUTE);
  }

  remember(ids: RoomId[]): void {
    for (const id of ids) if (!this.roomIds.includes(id)) this.roomIds.push(id);
  }

  /** A room for an argument: mostly one this replica has, sometimes a removed or unknown one. */
  roomFor(doc: Y.Doc): RoomId {
    const local = readBreakoutState(doc).rooms.map((r) => r.id);
    if (local.length > 0 && this.random() < 0.75) return pick(this.random, local);
    return pick(this.random, this.roomIds);
  }

  /** Someone to move: mostly a current participant, sometimes anyone (refused unless a participant). */
  person(): UserId {
    const r = this.random();
    if (r < 0.85) {
      const participants = [...this.participants()];
      if (participants.length > 0) return pick(this.random, participants);
    }
    return pick(this.random, [...MODERATORS, ...PARTICIPANTS, STRANGER]);
  }
}

/** Picks one entry by weight. */
function weighted<T>(random: Random, entries: Array<[number, T]>): T {
  const total = entries.reduce((sum, [w]) => sum + w, 0);
  let r = random() * total;
  for (const [w, value] of entries) {
    r -= w;
    if (r < 0) return value;
  }
  return entries[entries.length - 1][1];
}

const VALID_NAMES = ['Room A', 'Room B', 'Lobby', '  Ideas  ', 'Café ☕', 'Room 1', '🙂'.repeat(64)];
const INVALID_NAMES = ['', '   ', 'x'.repeat(65)];
const VALID_CAPS: unknown[] = [null, '', 1, 2, 3, '2', 1000];
const INVALID_CAPS: unknown[] = [0, 1001, 2.5, 'abc', -1];
const CLOSING: ClosingSeconds[] = [0, 10, 15, 30, 60, 120];

type Outcome = { ok: boolean; error?: string };

const outcome = (result: { ok: boolean; error?: string } | void): Outcome =>
  result === undefined ? { ok: true } : { ok: result.ok, ...(result.ok ? {} : { error: result.error }) };

function roomName(random: Random): string {
  return random() < 0.85 ? pick(random, VALID_NAMES) : pick(random, INVALID_NAMES);
}

function mode(random: Random): AssignmentMode {
  return random() < 0.97 ? pick(random, ASSIGNMENT_MODES) : ('random' as AssignmentMode);
}

function short(value: string): string {
  return value.length > 20 ? `${value.slice(0, 8)}…(${value.length} chars)` : value;
}

/**
 * Runs one random moderator command on `replica` with the replica's moderator as actor and the
 * replica's clock; refusals (ok: false) are expected.
 */
export function runModeratorCommand(
  world: World,
  random: Random,
  replica: Replica,
  step: number
): CommandRecord {
  const doc = replica.doc;
  const actor = replica.actor;
  const now = world.clock(replica.index);
  // Session commands are weighted by what this replica sees, so sessions do get started and ended
  // (arguments stay random: a stale view still sends commands that are refused or conflict).
  const phase = getSessionPhase({ session: readSession(doc), now }).kind;
  const name = weighted<string>(random, [
    [5, 'createRooms'],
    [6, 'addRoom'],
    [8, 'renameRoom'],
    [4, 'removeRoom'],
    [6, 'setMode'],
    [8, 'setSeatCap'],
    [16, 'assignParticipants'],
    [5, 'autoAssign'],
    [0.7, 'clearSetup'],
    [phase === 'idle' ? 14 : 2, 'startSession'],
    [phase === 'running' ? 6 : 2, 'endSession'],
    [phase === 'running' ? 6 : 2, 'extendTimer'],
    [4, 'dismissHelpRequest'],
    [4, 'clearHelpRequestsForRoom']
  ]);
  let args: Record<string, unknown> = {};
  let result: Outcome;
  switch (name) {
    case 'createRooms': {
      const r = random();
      const count =
        r < 0.85
          ? 1 + pickIndex(random, 4)
          : r < 0.93
            ? 30 + pickIndex(random, 41)
            : pick(random, [0, 101, 2.5]);
      const names = random() < 0.3 ? [roomName(random), roomName(random)] : undefined;
      args = { count, mode: mode(random), names };
      const created = createRooms(doc, { count, mode: args.mode as AssignmentMode, names, actor });
      if (created.ok) world.remember(created.value);
      result = outcome(created);
      break;
    }
    case 'addRoom': {
      const name = random() < 0.4 ? undefined : roomName(random);
      args = { name };
      const added = addRoom(doc, { name, actor });
      if (added.ok) world.remember([added.value]);
      result = outcome(added);
      break;
    }
    case 'renameRoom': {
      args = { roomId: world.roomFor(doc), name: roomName(random) };
      result = outcome(renameRoom(doc, { roomId: args.roomId as RoomId, name: args.name as string, actor }));
      break;
    }
    case 'removeRoom': {
      args = { roomId: world.roomFor(doc) };
      result = outcome(removeRoom(doc, { roomId: args.roomId as RoomId, actor }));
      break;
    }
    case 'setMode': {
      args = { mode: mode(random) };
      result = outcome(setMode(doc, { mode: args.mode as AssignmentMode, actor }));
      break;
    }
    case 'setSeatCap': {
      const seatCap = random() < 0.85 ? pick(random, VALID_CAPS) : pick(random, INVALID_CAPS);
      args = { roomId: world.roomFor(doc), seatCap };
      result = outcome(setSeatCap(doc, { roomId: args.roomId as RoomId, seatCap, actor }));
      break;
    }
    case 'assignParticipants': {
      const count = 1 + pickIndex(random, 3);
      const userIds = [...new Set(Array.from({ length: count }, () => world.person()))];
      const roomId = random() < 0.15 ? null : world.roomFor(doc);
      args = { userIds, roomId };
      result = outcome(
        assignParticipants(doc, { userIds, roomId, participants: world.participants(), now, actor })
      );
      break;
    }
    case 'autoAssign': {
      const seed = Math.floor(random() * 0x100000000);
      args = { seed };
      result = outcome(autoAssign(doc, { members: world.members(), seed, now, actor }));
      break;
    }
    case 'clearSetup': {
      result = outcome(clearSetup(doc, { actor }));
      break;
    }
    case 'startSession': {
      const timerMinutes =
        random() < 0.95 ? pick(random, [null, null, 1, 5, 30, 240]) : pick(random, [0, 241]);
      const closingSeconds = random() < 0.95 ? pick(random, CLOSING) : (5 as ClosingSeconds);
      args = {
        timerMinutes,
        closingSeconds,
        moveAutomatically: random() < 0.7,
        allowReturn: random() < 0.6
      };
      result = outcome(
        startSession(doc, {
          timerMinutes,
          closingSeconds,
          moveAutomatically: args.moveAutomatically as boolean,
          allowReturn: args.allowReturn as boolean,
          now,
          actor
        })
      );
      break;
    }
    case 'endSession': {
      args = { closingSeconds: pick(random, CLOSING) };
      result = outcome(
        endSession(doc, { closingSeconds: args.closingSeconds as ClosingSeconds, now, actor })
      );
      break;
    }
    case 'extendTimer': {
      args = { minutes: random() < 0.9 ? pick(random, [1, 2, 5, 10, 60, 240]) : pick(random, [0, 241, 1.5]) };
      result = outcome(extendTimer(doc, { minutes: args.minutes as number, now, actor }));
      break;
    }
    case 'dismissHelpRequest': {
      const waiting = readHelpRequests(doc);
      const userId = waiting.length > 0 && random() < 0.8 ? pick(random, waiting).userId : world.person();
      args = { userId };
      result = outcome(dismissHelpRequest(doc, { userId, actor }));
      break;
    }
    default: {
      const waiting = readHelpRequests(doc);
      const roomId = waiting.length > 0 && random() < 0.8 ? pick(random, waiting).roomId : world.roomFor(doc);
      args = { roomId };
      result = outcome(clearHelpRequestsForRoom(doc, { roomId, actor }));
    }
  }
  const shown = JSON.stringify(args, (_key, value: unknown) =>
    typeof value === 'string' ? short(value) : value === undefined ? null : value
  );
  return { step, replica: replica.index, actor, name, params: args, args: shown, ...result };
}

/**
 * The server's side (R47, R77): the real `createBreakout` of server/breakout on the server replica,
 * with the fuzzer's members and clock in place of the database and the sync server.
 */
export function createServerSide(world: World, server: Replica): Breakout {
  const persistence = {
    listMembers: () =>
      Promise.resolve(
        [...world.roles].map(([userId, role]) => ({
          conversationId: CONVERSATION,
          userId,
          role,
          joinedAt: 0,
          displayName: userId,
          username: userId,
          kind: 'account' as const
        }))
      )
  } as unknown as Persistence;
  const sync = {
    writeAsServer: (_name: string, change: (doc: Y.Doc) => void) => {
      server.doc.transact(() => change(server.doc), 'server');
      return Promise.resolve();
    },
    readDoc: <T>(_name: string, read: (doc: Y.Doc) => T) => Promise.resolve(read(server.doc))
  } as unknown as SyncServer;
  return createBreakout({ persistence, sync, now: () => world.clock(server.index) });
}

/** One random participant intent, checked and written by the server's code on the server replica. */
export async function runServerIntent(
  world: World,
  random: Random,
  breakout: Breakout,
  server: Replica,
  step: number
): Promise<CommandRecord> {
  const userId = world.person();
  const kind = weighted<string>(random, [
    [5, 'chooseRoom'],
    [4, 'requestHelp'],
    [1, 'withdrawHelp'],
    [2, 'returnToMain'],
    [2, 'rejoinRoom']
  ]);
  const intent = { conversationId: CONVERSATION, userId };
  let args: Record<string, unknown> = { userId };
  let result: { ok: boolean; error?: string };
  switch (kind) {
    case 'chooseRoom': {
      const roomId = world.roomFor(server.doc);
      args = { userId, roomId };
      result = await breakout.chooseRoom({ ...intent, roomId });
      break;
    }
    case 'requestHelp':
      result = await breakout.requestHelp(intent);
      break;
    case 'withdrawHelp':
      result = await breakout.withdrawHelp(intent);
      break;
    case 'returnToMain':
      result = await breakout.returnToMain(intent);
      break;
    default:
      result = await breakout.rejoinRoom(intent);
  }
  return {
    step,
    replica: server.index,
    actor: `server for ${userId}`,
    name: kind,
    params: args,
    args: JSON.stringify(args),
    ok: result.ok,
    ...(result.ok ? {} : { error: result.error })
  };
}

/** A membership change (R3, R4) at its step; the late joiner is placed by the server (R47). */
export async function runMembershipEvent(
  world: World,
  breakout: Breakout,
  server: Replica,
  event: 'join' | 'leave' | 'promote',
  step: number
): Promise<CommandRecord> {
  let params: Record<string, unknown>;
  let problem: string | undefined;
  if (event === 'join') {
    world.roles.set(LATE_JOINER, 'participant');
    const before = tidyBreakout({ state: readBreakoutState(server.doc), members: world.members() });
    const placed = await breakout.placeLateJoiner({ conversationId: CONVERSATION, userId: LATE_JOINER });
    params = { userId: LATE_JOINER, placedIn: placed };
    // R47: in automatic mode the joiner lands, at once, in a room with the fewest people.
    const after = tidyBreakout({ state: readBreakoutState(server.doc), members: world.members() });
    const fewest = Math.min(...before.rooms.map((r) => r.members.length));
    if (before.mode === 'automatic' && before.rooms.length > 0 && !before.roomOf.has(LATE_JOINER)) {
      const size = before.rooms.find((r) => r.id === placed)?.members.length;
      if (placed === null || size !== fewest || after.roomOf.get(LATE_JOINER) !== placed) {
        problem = `the late joiner was placed in ${placed} (${size} people), the fewest was ${fewest}`;
      }
    } else if (placed !== null) {
      problem = `the late joiner was placed in ${placed} outside automatic mode`;
    }
  } else if (event === 'leave') {
    world.roles.delete(LEAVER);
    params = { userId: LEAVER };
  } else {
    world.roles.set(PROMOTED, 'moderator');
    params = { userId: PROMOTED };
  }
  return {
    step,
    replica: server.index,
    actor: 'server',
    name: `member:${event}`,
    params,
    args: JSON.stringify(params),
    ok: true,
    ...(problem === undefined ? {} : { violation: { rule: 'R47', check: 'late-joiner', message: problem } })
  };
}
