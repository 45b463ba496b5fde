import * as Y from 'yjs';
import {
  checkRoomCount,
  checkRoomName,
  checkSeatCap,
  defaultRoomName,
  distributeParticipants,
  isAssignmentMode,
  MAX_ROOMS,
  type Assignment,
  type AssignmentMode,
  type BreakoutState,
  type Member,
  type Room
} from '../domain/breakout';
import { asRoomId, asUserId, type RoomId, type UserId } from '../domain/ids';
import {
  checkClosingSeconds,
  checkTimerMinutes,
  DEFAULT_CLOSING_SECONDS,
  getSessionPhase,
  MAX_TIMER_MINUTES,
  MIN_TIMER_MINUTES,
  type ClosingSeconds,
  type SessionRecord
} from '../domain/session';
import type { Checked } from '../domain/validation';

/**
 * The breakout control document (SPEC R40–R50): the only code that knows its Yjs shape.
 *
 * - `rooms`: roomId → Y.Map { name, order, seatCap }. Fields merge independently (a rename and a cap
 *   change by two moderators both survive); each field is one value, so a name is never interleaved.
 * - `assignments`: userId → { roomId, at } replaced whole, so a participant is in at most one room (R42).
 * - `settings`: { mode, seed }.
 * - `session`: `run` (the start: runId, startedAt, endsAt, options), `end` { runId, closingAt,
 *   closingSeconds } and `timer` { runId, endsAt }, each replaced whole (SPEC R71); absent = never started.
 * - `help`: userId → { roomId, since, runId } replaced whole (SPEC R80); only the current run's count.
 * - `returned`: userId → runId of the run in which they went "Back to main room" (SPEC R75).
 *
 * Every mutation is a named command in one transaction whose origin is a `SetupCommand`, so an
 * UndoManager can track exactly one's own setup changes and a history can name them.
 */
export type SetupCommandName =
  | 'createRooms'
  | 'addRoom'
  | 'renameRoom'
  | 'removeRoom'
  | 'setMode'
  | 'setSeatCap'
  | 'assign'
  | 'autoAssign'
  | 'clearSetup'
  | 'startSession'
  | 'endSession'
  | 'extendTimer'
  | 'dismissHelpRequest'
  | 'clearHelpRequestsForRoom'
  | 'requestHelp'
  | 'withdrawHelpRequest'
  | 'returnToMain'
  | 'rejoinRoom';

export class SetupCommand {
  constructor(
    readonly name: SetupCommandName,
    /** Who issued it, when known (the server writes as `server`). */
    readonly actor: string | null = null
  ) {}
}

type RoomMap = Y.Map<unknown>;

const roomsMap = (doc: Y.Doc) => doc.getMap<RoomMap>('rooms');
const assignmentsMap = (doc: Y.Doc) => doc.getMap<Assignment>('assignments');
const settingsMap = (doc: Y.Doc) => doc.getMap<unknown>('settings');
const sessionMap = (doc: Y.Doc) => doc.getMap<unknown>('session');
const helpMap = (doc: Y.Doc) => doc.getMap<unknown>('help');
const returnedMap = (doc: Y.Doc) => doc.getMap<unknown>('returned');

/**
 * The setup's and session's maps, for code of this layer that follows their events rather than reading
 * them whole (the setup history, history.ts): one place knows their names.
 */
export function getControlMaps(
  doc: Y.Doc
): Record<'rooms' | 'assignments' | 'settings' | 'session', Y.Map<unknown>> {
  return {
    rooms: roomsMap(doc) as Y.Map<unknown>,
    assignments: assignmentsMap(doc) as Y.Map<unknown>,
    settings: settingsMap(doc),
    session: sessionMap(doc)
  };
}

const ROOM_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** 12 url-safe random characters: usable as a chat room key and in document names. */
export function newRoomId(): RoomId {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let id = '';
  for (const byte of bytes) id += ROOM_ID_ALPHABET[byte & 63];
  return asRoomId(id);
}

/** A fresh seed for "Reshuffle". */
export function newSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function readRoom(id: string, map: RoomMap): Room | null {
  const name = map.get('name');
  const order = map.get('order');
  const seatCap = map.get('seatCap');
  if (typeof name !== 'string' || typeof order !== 'number') return null;
  return {
    id: asRoomId(id),
    name,
    order,
    seatCap: typeof seatCap === 'number' ? seatCap : null
  };
}

/** The stored setup, as the domain's `tidyBreakout` expects it. */
export function readBreakoutState(doc: Y.Doc): BreakoutState {
  const rooms: Room[] = [];
  for (const [id, map] of roomsMap(doc)) {
    const room = map instanceof Y.Map ? readRoom(id, map) : null;
    if (room) rooms.push(room);
  }
  const assignments = new Map<UserId, Assignment>();
  for (const [userId, value] of assignmentsMap(doc)) {
    if (value && typeof value.roomId === 'string' && typeof value.at === 'number') {
      assignments.set(asUserId(userId), { roomId: asRoomId(value.roomId), at: value.at });
    }
  }
  const mode = settingsMap(doc).get('mode');
  return { mode: isAssignmentMode(mode) ? mode : null, rooms, assignments };
}

export function readSeed(doc: Y.Doc): number | null {
  const seed = settingsMap(doc).get('seed');
  return typeof seed === 'number' ? seed : null;
}

/** The parts of the control document a reader can watch: the setup, and the session's live state. */
export type ControlPart = 'setup' | 'session';

/**
 * Calls `listener` once per transaction that changes the watched `parts` (all by default); returns the
 * unsubscribe function. One command can touch several maps (createRooms writes rooms and settings), so
 * the transaction is reported once, not once per map. A reader of the setup need not re-read (and
 * re-tidy) it when only the session's moments, help requests or returns changed, and the other way round:
 * starting a session seen by 1,000 participants then costs each of them a few map reads, not a tidy view.
 */
export function observeControl(
  doc: Y.Doc,
  listener: (origin: unknown) => void,
  parts: readonly ControlPart[] = ['setup', 'session']
): () => void {
  const maps = [
    ...(parts.includes('setup') ? [roomsMap(doc), assignmentsMap(doc), settingsMap(doc)] : []),
    ...(parts.includes('session') ? [sessionMap(doc), helpMap(doc), returnedMap(doc)] : [])
  ] as Y.AbstractType<unknown>[];
  const reported = new WeakSet<Y.Transaction>();
  const handler = (_events: unknown, transaction: Y.Transaction) => {
    if (reported.has(transaction)) return;
    reported.add(transaction);
    listener(transaction.origin);
  };
  for (const map of maps) map.observeDeep(handler);
  return () => {
    for (const map of maps) map.unobserveDeep(handler);
  };
}

function run<T>(doc: Y.Doc, origin: SetupCommand, change: () => T): T {
  let result!: T;
  doc.transact(() => {
    result = change();
  }, origin);
  return result;
}

function nextOrder(doc: Y.Doc): number {
  let max = 0;
  for (const map of roomsMap(doc).values()) {
    const order = map.get('order');
    if (typeof order === 'number' && order > max) max = order;
  }
  return max + 1;
}

function insertRoom(doc: Y.Doc, { id, name, order }: { id: RoomId; name: string; order: number }): void {
  const map = new Y.Map<unknown>();
  map.set('name', name);
  map.set('order', order);
  map.set('seatCap', null);
  roomsMap(doc).set(id, map);
}

const tooManyRooms = (): { ok: false; error: string } => ({
  ok: false,
  error: `A conversation can have at most ${MAX_ROOMS} breakout rooms.`
});

export interface CommandOptions {
  actor?: string | null;
}

/**
 * The first setup: `count` rooms named "Room 1" … (or the given names) and the mode. Rooms that already
 * exist are kept; new ones follow them.
 */
export function createRooms(
  doc: Y.Doc,
  {
    count,
    mode,
    names,
    actor = null
  }: { count: number; mode: AssignmentMode; names?: string[] } & CommandOptions
): Checked<RoomId[]> {
  const checkedCount = checkRoomCount(count);
  if (!checkedCount.ok) return checkedCount;
  if (!isAssignmentMode(mode)) return { ok: false, error: 'Choose how participants are assigned.' };
  if (roomsMap(doc).size + count > MAX_ROOMS) return tooManyRooms();
  // An empty or missing name means the default "Room N".
  const cleanNames: string[] = [];
  for (let i = 0; i < count; i++) {
    const given = names?.[i]?.trim();
    if (!given) {
      cleanNames.push('');
      continue;
    }
    const checked = checkRoomName(given);
    if (!checked.ok) return checked;
    cleanNames.push(checked.value);
  }
  const ids = run(doc, new SetupCommand('createRooms', actor), () => {
    const first = nextOrder(doc);
    const created: RoomId[] = [];
    for (let i = 0; i < count; i++) {
      const id = newRoomId();
      insertRoom(doc, { id, name: cleanNames[i] || defaultRoomName(first + i), order: first + i });
      created.push(id);
    }
    settingsMap(doc).set('mode', mode);
    return created;
  });
  return { ok: true, value: ids };
}

export function addRoom(
  doc: Y.Doc,
  { name, actor = null }: { name?: string } & CommandOptions
): Checked<RoomId> {
  if (roomsMap(doc).size >= MAX_ROOMS) return tooManyRooms();
  let clean: string | null = null;
  if (name !== undefined && name.trim() !== '') {
    const checked = checkRoomName(name);
    if (!checked.ok) return checked;
    clean = checked.value;
  }
  const id = run(doc, new SetupCommand('addRoom', actor), () => {
    const order = nextOrder(doc);
    const roomId = newRoomId();
    insertRoom(doc, { id: roomId, name: clean ?? defaultRoomName(order), order });
    return roomId;
  });
  return { ok: true, value: id };
}

function requireRoom(doc: Y.Doc, roomId: string): Checked<RoomMap> {
  const map = roomsMap(doc).get(roomId);
  if (!(map instanceof Y.Map)) {
    return { ok: false, error: 'This room no longer exists. Someone may have removed it.' };
  }
  return { ok: true, value: map };
}

/** Sets one field of a room after its input check; writes nothing when the value is already stored. */
function setRoomField<T>(
  doc: Y.Doc,
  {
    roomId,
    field,
    checked,
    command,
    actor
  }: {
    roomId: RoomId;
    field: 'name' | 'seatCap';
    checked: Checked<T>;
    command: SetupCommandName;
    actor: string | null;
  }
): Checked<T> {
  if (!checked.ok) return checked;
  const room = requireRoom(doc, roomId);
  if (!room.ok) return room;
  if (room.value.get(field) !== checked.value) {
    run(doc, new SetupCommand(command, actor), () => room.value.set(field, checked.value));
  }
  return checked;
}

export function renameRoom(
  doc: Y.Doc,
  { roomId, name, actor = null }: { roomId: RoomId; name: string } & CommandOptions
): Checked<string> {
  return setRoomField(doc, {
    roomId,
    field: 'name',
    checked: checkRoomName(name),
    command: 'renameRoom',
    actor
  });
}

/** Removes a room; its people become unassigned (R43). */
export function removeRoom(
  doc: Y.Doc,
  { roomId, actor = null }: { roomId: RoomId } & CommandOptions
): Checked<null> {
  const room = requireRoom(doc, roomId);
  if (!room.ok) return room;
  run(doc, new SetupCommand('removeRoom', actor), () => {
    roomsMap(doc).delete(roomId);
    const assignments = assignmentsMap(doc);
    for (const [userId, assignment] of [...assignments]) {
      // Values come from any moderator's replica; a malformed one must not abort the removal.
      if ((assignment as Partial<Assignment> | null)?.roomId === roomId) {
        assignments.delete(userId);
        forgetPlace(doc, asUserId(userId));
      }
    }
  });
  return { ok: true, value: null };
}

export function setMode(
  doc: Y.Doc,
  { mode, actor = null }: { mode: AssignmentMode } & CommandOptions
): Checked<AssignmentMode> {
  if (!isAssignmentMode(mode)) return { ok: false, error: 'Choose how participants are assigned.' };
  if (settingsMap(doc).get('mode') !== mode) {
    run(doc, new SetupCommand('setMode', actor), () => settingsMap(doc).set('mode', mode));
  }
  return { ok: true, value: mode };
}

export function setSeatCap(
  doc: Y.Doc,
  { roomId, seatCap, actor = null }: { roomId: RoomId; seatCap: unknown } & CommandOptions
): Checked<number | null> {
  return setRoomField(doc, {
    roomId,
    field: 'seatCap',
    checked: checkSeatCap(seatCap),
    command: 'setSeatCap',
    actor
  });
}

/**
 * Moves participants into a room, or back to the main room with `roomId: null`. `participants` is the
 * set of current non-moderator members; anyone else is refused (R49).
 */
export function assignParticipants(
  doc: Y.Doc,
  {
    userIds,
    roomId,
    participants,
    now,
    actor = null
  }: {
    userIds: UserId[];
    roomId: RoomId | null;
    participants: ReadonlySet<UserId>;
    now: number;
  } & CommandOptions
): Checked<number> {
  if (userIds.length === 0) return { ok: false, error: 'Select at least one person to move.' };
  const unknown = userIds.find((id) => !participants.has(id));
  if (unknown !== undefined) {
    return { ok: false, error: 'Only participants of this conversation can be assigned to rooms.' };
  }
  if (roomId !== null) {
    const room = requireRoom(doc, roomId);
    if (!room.ok) return room;
  }
  run(doc, new SetupCommand('assign', actor), () => {
    const assignments = assignmentsMap(doc);
    for (const userId of userIds) {
      if (assignments.get(userId)?.roomId === (roomId ?? undefined)) continue;
      if (roomId === null) assignments.delete(userId);
      else assignments.set(userId, { roomId, at: now });
      forgetPlace(doc, userId);
    }
  });
  return { ok: true, value: userIds.length };
}

/**
 * A move puts the person where the moderator said (R75): a "Back to main room" mark of this run no longer
 * holds, and a help request naming the old room would send a moderator to the wrong place (R80).
 */
function forgetPlace(doc: Y.Doc, userId: UserId): void {
  returnedMap(doc).delete(userId);
  helpMap(doc).delete(userId);
}

/**
 * "Automatically assign" / "Reshuffle" (R46): replaces every participant's assignment with a balanced,
 * seeded spread and remembers the seed.
 */
export function autoAssign(
  doc: Y.Doc,
  { members, seed, now, actor = null }: { members: Member[]; seed: number; now: number } & CommandOptions
): Checked<number> {
  const { rooms } = readBreakoutState(doc);
  if (rooms.length === 0) return { ok: false, error: 'Add a room first.' };
  const spread = distributeParticipants({ members, rooms, seed });
  run(doc, new SetupCommand('autoAssign', actor), () => {
    const assignments = assignmentsMap(doc);
    for (const member of members) {
      if (!member.isModerator && !spread.has(member.userId) && assignments.has(member.userId)) {
        assignments.delete(member.userId);
        forgetPlace(doc, member.userId);
      }
    }
    for (const [userId, roomId] of spread) {
      if (assignments.get(userId)?.roomId === roomId) continue;
      assignments.set(userId, { roomId, at: now });
      forgetPlace(doc, userId);
    }
    const settings = settingsMap(doc);
    settings.set('seed', seed);
    settings.set('mode', 'automatic');
  });
  return { ok: true, value: spread.size };
}

/** Removes the whole setup (R50). The main conversation lives in other documents and is untouched. */
export function clearSetup(doc: Y.Doc, { actor = null }: CommandOptions = {}): void {
  run(doc, new SetupCommand('clearSetup', actor), () => {
    const maps = [
      roomsMap(doc),
      assignmentsMap(doc),
      settingsMap(doc),
      sessionMap(doc),
      helpMap(doc),
      returnedMap(doc)
    ] as Y.Map<unknown>[];
    for (const map of maps) {
      for (const key of [...map.keys()]) map.delete(key);
    }
  });
}

/* ---------------------------------------------------------------------------------------------------
 * Breakout sessions (SPEC R70–R81). The session is stored as moments; every replica derives the phase
 * with `getSessionPhase`. Help requests and "Back to main room" marks carry the run they belong to, so
 * a new start ignores leftovers of an earlier run without anyone having to clean them up.
 * ------------------------------------------------------------------------------------------------- */

const ONE_MINUTE = 60_000;

/** A fresh id for one run of a session. */
export function newRunId(): string {
  return newRoomId();
}

function isClosingSeconds(value: unknown): value is ClosingSeconds {
  return checkClosingSeconds(value).ok && typeof value === 'number';
}

type Stored<T> = Partial<Record<keyof T, unknown>> | null | undefined;

/**
 * The stored session, or `null` when none was ever started (or the setup was deleted).
 *
 * Stored as three values, each whole (a map entry is last-writer-wins as a unit): `run` (the start, with
 * its id), `end` ("End breakout sessions") and `timer` ("Extend"), the latter two naming the run they
 * were meant for. An end or extension that an offline moderator made for an earlier run therefore never
 * changes a later one, and two starts merged never mix their fields (R71, R98).
 */
export function readSession(doc: Y.Doc): SessionRecord | null {
  const map = sessionMap(doc);
  const run = map.get('run') as Stored<SessionRecord>;
  if (!run || typeof run.runId !== 'string' || typeof run.startedAt !== 'number') return null;
  const runId = run.runId;
  const end = map.get('end') as Stored<{ runId: string; closingAt: number; closingSeconds: number }>;
  const timer = map.get('timer') as Stored<{ runId: string; endsAt: number }>;
  const ended = end && end.runId === runId && typeof end.closingAt === 'number' ? end : null;
  const endsAt =
    timer && timer.runId === runId && typeof timer.endsAt === 'number' ? timer.endsAt : run.endsAt;
  const closingSeconds = ended ? ended.closingSeconds : run.closingSeconds;
  return {
    runId,
    startedAt: run.startedAt,
    endsAt: typeof endsAt === 'number' ? endsAt : null,
    closingAt: ended ? (ended.closingAt as number) : null,
    closingSeconds: isClosingSeconds(closingSeconds) ? closingSeconds : DEFAULT_CLOSING_SECONDS,
    moveAutomatically: run.moveAutomatically !== false,
    allowReturn: run.allowReturn === true
  };
}

export interface HelpRequest {
  userId: UserId;
  roomId: RoomId;
  since: number;
}

/** Help requests of the current run, oldest first (then by user id), as every moderator sees them (R80). */
export function readHelpRequests(doc: Y.Doc): HelpRequest[] {
  const runId = readSession(doc)?.runId;
  if (runId === undefined) return [];
  const requests: HelpRequest[] = [];
  for (const [userId, value] of helpMap(doc)) {
    const entry = value as Partial<{ roomId: unknown; since: unknown; runId: unknown }> | null;
    if (
      entry &&
      entry.runId === runId &&
      typeof entry.roomId === 'string' &&
      typeof entry.since === 'number'
    ) {
      requests.push({ userId: asUserId(userId), roomId: asRoomId(entry.roomId), since: entry.since });
    }
  }
  return requests.sort(
    (a, b) => a.since - b.since || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)
  );
}

/** Who went "Back to main room" during the current run (R75). */
export function readReturned(doc: Y.Doc): Set<UserId> {
  const runId = readSession(doc)?.runId;
  const result = new Set<UserId>();
  if (runId === undefined) return result;
  for (const [userId, value] of returnedMap(doc)) if (value === runId) result.add(asUserId(userId));
  return result;
}

const noSession = (): { ok: false; error: string } => ({
  ok: false,
  error: 'No breakout session is running. Start breakout sessions first.'
});

/**
 * "Start breakout sessions" (R71, R74): a new run. Refused while a session is running or closing, and
 * when there is no room to go to.
 */
export function startSession(
  doc: Y.Doc,
  {
    timerMinutes,
    moveAutomatically,
    allowReturn,
    closingSeconds = DEFAULT_CLOSING_SECONDS,
    now,
    actor = null
  }: {
    timerMinutes: number | null;
    moveAutomatically: boolean;
    allowReturn: boolean;
    closingSeconds?: ClosingSeconds;
    now: number;
  } & CommandOptions
): Checked<SessionRecord> {
  const timer = checkTimerMinutes(timerMinutes);
  if (!timer.ok) return timer;
  const closing = checkClosingSeconds(closingSeconds);
  if (!closing.ok) return closing;
  if (getSessionPhase({ session: readSession(doc), now }).kind !== 'idle') {
    return { ok: false, error: 'Breakout sessions are already running. End them before starting again.' };
  }
  const roomCount = readBreakoutState(doc).rooms.length;
  if (roomCount === 0) {
    return { ok: false, error: 'Set up breakout rooms before starting breakout sessions.' };
  }
  if (roomCount > MAX_ROOMS) {
    // Only a merge of rooms added on two replicas at once gets here (R41).
    return {
      ok: false,
      error: `There are ${roomCount} breakout rooms; a session can use at most ${MAX_ROOMS}. Remove ${roomCount - MAX_ROOMS} before starting.`
    };
  }
  const record: SessionRecord = {
    runId: newRunId(),
    startedAt: now,
    endsAt: timer.value === null ? null : now + timer.value * ONE_MINUTE,
    closingAt: null,
    closingSeconds: closing.value,
    moveAutomatically: moveAutomatically !== false,
    allowReturn: allowReturn === true
  };
  run(doc, new SetupCommand('startSession', actor), () => {
    const map = sessionMap(doc);
    map.set('run', { ...record });
    map.delete('end');
    map.delete('timer');
    // Leftovers of earlier runs are ignored by the readers anyway; dropping them keeps the document small.
    for (const key of [...helpMap(doc).keys()]) helpMap(doc).delete(key);
    for (const key of [...returnedMap(doc).keys()]) returnedMap(doc).delete(key);
  });
  return { ok: true, value: record };
}

/**
 * "End breakout sessions" (R71, R72): the closing countdown starts now. Refused when no session is
 * running, or when it is already closing.
 */
export function endSession(
  doc: Y.Doc,
  { closingSeconds, now, actor = null }: { closingSeconds: ClosingSeconds; now: number } & CommandOptions
): Checked<SessionRecord> {
  const closing = checkClosingSeconds(closingSeconds);
  if (!closing.ok) return closing;
  const session = readSession(doc);
  const phase = getSessionPhase({ session, now });
  if (!session || phase.kind === 'idle') return noSession();
  if (phase.kind === 'closing') {
    return { ok: false, error: 'Breakout sessions are already ending; everyone is back soon.' };
  }
  run(doc, new SetupCommand('endSession', actor), () => {
    sessionMap(doc).set('end', { runId: session.runId, closingAt: now, closingSeconds: closing.value });
  });
  return { ok: true, value: readSession(doc)! };
}

/**
 * "Extend" (R71): moves the timer's end `minutes` later while the session runs; with no timer, sets
 * one that ends `minutes` from now. The end stays within 240 minutes of the start.
 */
export function extendTimer(
  doc: Y.Doc,
  { minutes, now, actor = null }: { minutes: number; now: number } & CommandOptions
): Checked<SessionRecord> {
  const checked = checkTimerMinutes(minutes);
  if (!checked.ok || checked.value === null) {
    return {
      ok: false,
      error: `Extend by ${MIN_TIMER_MINUTES} to ${MAX_TIMER_MINUTES} minutes.`
    };
  }
  const session = readSession(doc);
  const phase = getSessionPhase({ session, now });
  if (!session || phase.kind !== 'running') {
    return phase.kind === 'closing'
      ? { ok: false, error: 'Breakout sessions are ending; a closing countdown cannot be extended.' }
      : noSession();
  }
  const endsAt = (session.endsAt ?? now) + checked.value * ONE_MINUTE;
  if (endsAt - session.startedAt > MAX_TIMER_MINUTES * ONE_MINUTE) {
    return {
      ok: false,
      error: `A session can last at most ${MAX_TIMER_MINUTES} minutes from its start. Extend by less.`
    };
  }
  run(doc, new SetupCommand('extendTimer', actor), () =>
    sessionMap(doc).set('timer', { runId: session.runId, endsAt })
  );
  return { ok: true, value: readSession(doc)! };
}

/** A moderator dismisses one help request (R80). Dismissing one that is gone changes nothing. */
export function dismissHelpRequest(
  doc: Y.Doc,
  { userId, actor = null }: { userId: UserId } & CommandOptions
): Checked<null> {
  if (helpMap(doc).has(userId)) {
    run(doc, new SetupCommand('dismissHelpRequest', actor), () => helpMap(doc).delete(userId));
  }
  return { ok: true, value: null };
}

/** A moderator joined this room: its help requests are answered (R80). Returns how many cleared. */
export function clearHelpRequestsForRoom(
  doc: Y.Doc,
  { roomId, actor = null }: { roomId: RoomId } & CommandOptions
): Checked<number> {
  const cleared = [...helpMap(doc)]
    .filter(([, value]) => (value as { roomId?: unknown } | null)?.roomId === roomId)
    .map(([userId]) => userId);
  if (cleared.length > 0) {
    run(doc, new SetupCommand('clearHelpRequestsForRoom', actor), () => {
      for (const userId of cleared) helpMap(doc).delete(userId);
    });
  }
  return { ok: true, value: cleared.length };
}

/*
 * Writes the server makes after checking a participant's intent (R77). They check nothing themselves:
 * membership, the session and the location are the caller's business (server/breakout).
 */

/** Writes (or keeps) the participant's help request; returns since when it has been waiting. */
export function writeHelpRequest(
  doc: Y.Doc,
  {
    userId,
    roomId,
    runId,
    now,
    actor = null
  }: { userId: UserId; roomId: RoomId; runId: string; now: number } & CommandOptions
): number {
  const existing = helpMap(doc).get(userId) as
    { roomId?: unknown; runId?: unknown; since?: unknown } | undefined;
  // Asking again keeps the original time: the request has been waiting since then.
  if (existing?.roomId === roomId && existing.runId === runId && typeof existing.since === 'number') {
    return existing.since;
  }
  run(doc, new SetupCommand('requestHelp', actor), () =>
    helpMap(doc).set(userId, { roomId, since: now, runId })
  );
  return now;
}

export function deleteHelpRequest(
  doc: Y.Doc,
  { userId, actor = null }: { userId: UserId } & CommandOptions
): boolean {
  if (!helpMap(doc).has(userId)) return false;
  run(doc, new SetupCommand('withdrawHelpRequest', actor), () => helpMap(doc).delete(userId));
  return true;
}

export function writeReturned(
  doc: Y.Doc,
  { userId, runId, actor = null }: { userId: UserId; runId: string | null } & CommandOptions
): void {
  const map = returnedMap(doc);
  if (runId === null) {
    if (map.has(userId)) run(doc, new SetupCommand('rejoinRoom', actor), () => map.delete(userId));
    return;
  }
  if (map.get(userId) === runId) return;
  run(doc, new SetupCommand('returnToMain', actor), () => {
    map.set(userId, runId);
    // Someone who left their room no longer waits for help there.
    helpMap(doc).delete(userId);
  });
}
