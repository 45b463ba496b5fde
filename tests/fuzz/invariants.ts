/**
 * The properties convergence fuzzing checks, each citing the rule of docs/SPEC.md it comes from.
 * Checks return `Problem`s (empty = holds); the runner adds the seed and the last command.
 *
 * - `checkReplica`, on any replica at any moment (merged or not): what `tidyBreakout` shows obeys
 *   R41–R45, the stored session's moments obey R71/R72, and during a session every member is in an
 *   existing room or the main room (R75, R76).
 * - `checkConverged`, after heal and flush: every replica holds the same document and shows the same.
 * - `checkRefusalChangedNothing`: a refused command or intent changes nothing (R49, R77).
 *
 * What the SPEC does not promise is not asserted; `observeReplica` counts it for the report.
 */
import * as Y from 'yjs';
import {
  checkRoomName,
  compareRooms,
  MAX_SEAT_CAP,
  tidyBreakout,
  type BreakoutView,
  type Member
} from '../../src/lib/domain/breakout';
import type { RoomId, UserId } from '../../src/lib/domain/ids';
import {
  CLOSING_COUNTDOWN_CHOICES,
  getLocation,
  getSessionPhase,
  isSessionActive,
  MAX_TIMER_MINUTES,
  MIN_TIMER_MINUTES
} from '../../src/lib/domain/session';
import {
  readBreakoutState,
  readHelpRequests,
  readReturned,
  readSeed,
  readSession
} from '../../src/lib/sync/control';

/**
 * One broken property: the rule(s) of docs/SPEC.md, a stable id of the check (known-issues.ts lists the
 * ids of reported bugs not fixed yet) and a sentence with the specifics.
 */
export interface Problem {
  rule: string;
  check: string;
  message: string;
}

export const describeProblem = (p: Problem): string => `${p.rule} [${p.check}] ${p.message}`;

/** Every top-level map control.ts keeps in the control document. */
export const CONTROL_MAPS = ['rooms', 'assignments', 'settings', 'session', 'help', 'returned'] as const;

const MINUTE = 60_000;

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with object keys sorted: a Y.Map's `toJSON` lists keys in the order this replica integrated
 * them, which differs between replicas that hold the same content.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byId(a, b)))
      : v
  );
}

/** A view as plain data, so two replicas' views compare as strings. */
export function viewJson(view: BreakoutView): string {
  return JSON.stringify({ ...view, roomOf: [...view.roomOf].sort(([a], [b]) => byId(a, b)) });
}

/** The rules every replica's view and session obey at every moment, merged or not. */
export function checkReplica(
  doc: Y.Doc,
  members: Member[],
  now: number,
  who: string,
  /** Replicas' clocks differ by up to this much (ms), so moments two replicas wrote may too. */
  clockSpread = 0
): Problem[] {
  const problems: Problem[] = [];
  const fail = (rule: string, check: string, message: string) =>
    problems.push({ rule, check, message: `(${who}) ${message}` });
  const state = readBreakoutState(doc);
  const view = tidyBreakout({ state, members });
  const existing = new Set<RoomId>(state.rooms.map((r) => r.id));
  const participants = new Set<UserId>(members.filter((m) => !m.isModerator).map((m) => m.userId));
  const moderators = new Set<UserId>(members.filter((m) => m.isModerator).map((m) => m.userId));

  // R41: every stored room is shown, even past 100 after concurrent adds (starting is then refused, which
  // run.ts checks per command); names of 1–64 trimmed characters. R44: caps empty or 1–1000.
  if (view.rooms.length !== state.rooms.length) {
    fail('R41', 'room-count', `the setup shows ${view.rooms.length} of its ${state.rooms.length} rooms`);
  }
  for (const room of state.rooms) {
    const checked = checkRoomName(room.name);
    if (!checked.ok || checked.value !== room.name) {
      fail('R41', 'room-name', `room ${room.id} is named ${JSON.stringify(room.name)}`);
    }
    const cap = room.seatCap;
    if (cap !== null && (!Number.isInteger(cap) || cap < 1 || cap > MAX_SEAT_CAP)) {
      fail('R44', 'seat-cap-value', `room ${room.id} has the seat cap ${cap}`);
    }
  }

  // R42: each participant in at most one room, and the view's index agrees with its lists.
  const seen = new Map<UserId, RoomId>();
  for (const room of view.rooms) {
    for (const userId of room.members) {
      if (seen.has(userId)) fail('R42', 'one-room', `${userId} is in ${seen.get(userId)} and in ${room.id}`);
      seen.set(userId, room.id);
      if (view.roomOf.get(userId) !== room.id) fail('R42', 'room-of', `roomOf(${userId}) is not ${room.id}`);
    }
  }
  if (view.roomOf.size !== seen.size) fail('R42', 'room-of', 'roomOf names someone who is in no room list');

  // R43: every participant is in one room or unassigned; nobody else is anywhere; an assignment to a
  // room that no longer exists, of a moderator or of a former member reads as unassigned.
  for (const userId of view.unassigned) {
    if (seen.has(userId)) fail('R43', 'partition', `${userId} is unassigned and in ${seen.get(userId)}`);
  }
  const listed = new Set<UserId>([...seen.keys(), ...view.unassigned]);
  for (const userId of participants) {
    if (!listed.has(userId))
      fail('R43', 'partition', `participant ${userId} is neither in a room nor unassigned`);
  }
  for (const userId of listed) {
    if (moderators.has(userId))
      fail('R43 R46', 'no-moderators', `moderator ${userId} is listed as a participant`);
    else if (!participants.has(userId))
      fail('R43', 'members-only', `${userId} is not a member but is listed`);
  }
  for (const [userId, roomId] of view.roomOf) {
    if (!existing.has(roomId))
      fail('R43', 'removed-room', `${userId} is shown in ${roomId}, which does not exist`);
  }
  for (const [userId, assignment] of state.assignments) {
    if (!existing.has(assignment.roomId) && view.roomOf.has(userId)) {
      fail(
        'R43',
        'removed-room',
        `${userId}'s assignment to the removed room ${assignment.roomId} is visible`
      );
    }
  }

  // R44, R45: a room shows its valid assignments by time, then user id; in "choose" mode a room with a
  // cap keeps only the earliest `cap` of them (computed here independently of tidyBreakout).
  for (const room of view.rooms) {
    const valid = [...state.assignments]
      .filter(([userId, a]) => a.roomId === room.id && participants.has(userId))
      .sort(([u, a], [v, b]) => a.at - b.at || byId(u, v))
      .map(([userId]) => userId);
    const cap = view.mode === 'choose' ? room.seatCap : null;
    const expected = cap === null ? valid : valid.slice(0, cap);
    if (cap !== null && room.members.length > cap) {
      fail('R44', 'over-cap', `room ${room.id} holds ${room.members.length} people, over its cap of ${cap}`);
    }
    if (JSON.stringify(room.members) !== JSON.stringify(expected)) {
      fail(
        'R44 R45',
        'earliest-keep',
        `room ${room.id} shows [${room.members.join(',')}], expected [${expected.join(',')}]` +
          (cap === null ? '' : ` (cap ${cap})`)
      );
    }
  }
  // R45: rooms by position, then id.
  for (let i = 1; i < view.rooms.length; i++) {
    if (compareRooms(view.rooms[i - 1], view.rooms[i]) >= 0) {
      fail('R45', 'room-order', `rooms ${view.rooms[i - 1].id} and ${view.rooms[i].id} are out of order`);
    }
  }

  // R71, R72: the stored moments belong to the run they are read with: its timer ends 1–240 minutes
  // after its start, closing begins at or after its start (someone pressed "End" during this run), and
  // the countdown is one of the choices. Moments written on another replica may differ by the clocks'
  // spread, so that much is tolerated.
  const session = readSession(doc);
  if (session) {
    if (!(CLOSING_COUNTDOWN_CHOICES as readonly number[]).includes(session.closingSeconds)) {
      fail('R71', 'closing-seconds', `closingSeconds is ${session.closingSeconds}`);
    }
    if (session.endsAt !== null) {
      const after = session.endsAt - session.startedAt;
      if (after < MIN_TIMER_MINUTES * MINUTE - clockSpread || after > MAX_TIMER_MINUTES * MINUTE) {
        fail(
          'R71 R72',
          'timer-of-run',
          `run ${session.runId} started at ${session.startedAt} has a timer ending at ${session.endsAt}, ` +
            `${(after / MINUTE).toFixed(2)} minutes after its start (allowed: ${MIN_TIMER_MINUTES}–${MAX_TIMER_MINUTES})`
        );
      }
    }
    if (session.closingAt !== null && session.closingAt < session.startedAt - clockSpread) {
      fail(
        'R71 R72',
        'closing-of-run',
        `run ${session.runId} started at ${session.startedAt} has closingAt ${session.closingAt}, ` +
          `${((session.startedAt - session.closingAt) / 1000).toFixed(1)} s before its start: nobody ended this run`
      );
    }
  }

  // R75, R76: while a session is active, every member is in an existing room or in the main room, and
  // moderators are never placed in one (R46).
  const phase = getSessionPhase({ session, now });
  if (isSessionActive(phase)) {
    const returned = readReturned(doc);
    for (const member of members) {
      const location = getLocation({ phase, roomOf: view.roomOf, returned, userId: member.userId });
      if (location !== null && !existing.has(location)) {
        fail('R75 R76', 'location', `${member.userId} is located in ${location}, which does not exist`);
      }
      if (location !== null && member.isModerator) {
        fail('R46 R75', 'location', `moderator ${member.userId} is located in ${location}`);
      }
    }
  }
  return problems;
}

/** What a healed state exercised, so a run that checked only empty setups does not pass unnoticed. */
export interface Coverage {
  /** States with at least one room. */
  rooms: number;
  /** Rooms whose cap left someone unassigned (R44). */
  capsBinding: number;
  /** Stored assignments to rooms that no longer exist, read as unassigned (R43). */
  removedRoomAssignments: number;
  /** States with a running or closing session (R75, R76). */
  activeSessions: number;
  /** Help requests shown (R80). */
  help: number;
  /** "Back to main room" marks of the current run (R75). */
  returned: number;
  /** Not promised either way by the SPEC (R80 does not say): help requests naming a removed room… */
  helpForRemovedRoom: number;
  /** …or a room the asker is no longer assigned to. */
  helpElsewhere: number;
}

export const emptyCoverage = (): Coverage => ({
  rooms: 0,
  capsBinding: 0,
  removedRoomAssignments: 0,
  activeSessions: 0,
  help: 0,
  returned: 0,
  helpForRemovedRoom: 0,
  helpElsewhere: 0
});

export function addCoverage(total: Coverage, more: Coverage): void {
  for (const key of Object.keys(total) as Array<keyof Coverage>) total[key] += more[key];
}

export function observeReplica(doc: Y.Doc, members: Member[], now: number): Coverage {
  const state = readBreakoutState(doc);
  const view = tidyBreakout({ state, members });
  const existing = new Set<RoomId>(state.rooms.map((r) => r.id));
  const coverage = emptyCoverage();
  coverage.rooms = state.rooms.length > 0 ? 1 : 0;
  if (view.mode === 'choose') {
    for (const room of view.rooms) {
      const assigned = [...state.assignments.values()].filter((a) => a.roomId === room.id).length;
      if (room.seatCap !== null && assigned > room.seatCap && room.members.length === room.seatCap) {
        coverage.capsBinding++;
      }
    }
  }
  for (const assignment of state.assignments.values()) {
    if (!existing.has(assignment.roomId)) coverage.removedRoomAssignments++;
  }
  if (isSessionActive(getSessionPhase({ session: readSession(doc), now }))) coverage.activeSessions = 1;
  const help = readHelpRequests(doc);
  coverage.help = help.length;
  coverage.returned = readReturned(doc).size;
  for (const request of help) {
    if (!existing.has(request.roomId)) coverage.helpForRemovedRoom++;
    else if (view.roomOf.get(request.userId) !== request.roomId) coverage.helpElsewhere++;
  }
  return coverage;
}

const stateVector = (doc: Y.Doc) => Buffer.from(Y.encodeStateVector(doc)).toString('base64');

function controlJson(doc: Y.Doc): Record<string, string> {
  return Object.fromEntries(CONTROL_MAPS.map((name) => [name, canonicalJson(doc.getMap(name).toJSON())]));
}

/** Everything a reader of the control document sees, one comparable string per part. */
function readers(doc: Y.Doc, members: Member[], now: number): Record<string, string> {
  const session = readSession(doc);
  return {
    view: viewJson(tidyBreakout({ state: readBreakoutState(doc), members })),
    seed: JSON.stringify(readSeed(doc)),
    session: JSON.stringify(session),
    phase: JSON.stringify(getSessionPhase({ session, now })),
    help: JSON.stringify(readHelpRequests(doc)),
    returned: JSON.stringify([...readReturned(doc)].sort(byId))
  };
}

/**
 * After heal and flush: every replica has integrated everything (no pending structs or deletions), has
 * the same state vector, the same content in every control map, and shows the same view, session,
 * phase, help requests and returns ("on every replica": R42, R44, R71, R80). A document rebuilt from
 * replica 0's full state (what storage and a reload do, R15, R17) shows the same too.
 */
export function checkConverged(docs: Y.Doc[], members: Member[], now: number): Problem[] {
  const problems: Problem[] = [];
  const fail = (message: string) => problems.push({ rule: 'R42 R44 R71 R80', check: 'convergence', message });
  docs.forEach((doc, i) => {
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
      fail(`replica ${i} still holds pending updates after the flush`);
    }
  });
  const reloaded = new Y.Doc();
  Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(docs[0]));
  const all = [...docs, reloaded];
  const name = (i: number) => (i === docs.length ? 'a reload of replica 0' : `replica ${i}`);
  const sv0 = stateVector(docs[0]);
  const json0 = controlJson(docs[0]);
  const read0 = readers(docs[0], members, now);
  all.forEach((doc, i) => {
    if (i === 0) return;
    if (i < docs.length && stateVector(doc) !== sv0)
      fail(`${name(i)} has another state vector than replica 0`);
    const json = controlJson(doc);
    for (const map of CONTROL_MAPS) {
      if (json[map] !== json0[map]) {
        fail(`map "${map}" differs: replica 0 has ${json0[map]}, ${name(i)} has ${json[map]}`);
      }
    }
    const read = readers(doc, members, now);
    for (const part of Object.keys(read0)) {
      if (read[part] !== read0[part]) {
        fail(`${part} differs: replica 0 reads ${read0[part]}, ${name(i)} reads ${read[part]}`);
      }
    }
  });
  return problems;
}

/** R49 (commands), R77 (intents): a refusal changes nothing. */
export function checkRefusalChangedNothing(before: Uint8Array, doc: Y.Doc, rule: string): Problem[] {
  return Buffer.from(before).equals(Buffer.from(Y.encodeStateAsUpdate(doc)))
    ? []
    : [{ rule, check: 'refusal-changes-nothing', message: 'a refused command changed the document' }];
}
