import { MODE_LABELS, type AssignmentMode } from './breakout';

/**
 * The setup history (SPEC R97): every change to the breakout setup and session, as readable entries —
 * who, when (the server's clock) and what. Pure: the sync layer turns the Y events of one transaction on
 * the control document into `ControlChange`s, the server knows who made them (`HistorySource`) and looks
 * the names up; this module only words them.
 */

/** One visible change of one transaction on the control document, as plain data. */
export type ControlChange =
  | { kind: 'roomAdded'; roomId: string; name: string }
  | { kind: 'roomRemoved'; roomId: string }
  | { kind: 'roomRenamed'; roomId: string; from: string | null; to: string }
  | { kind: 'seatCap'; roomId: string; from: number | null; to: number | null }
  /** A participant's room (`null` = unassigned, in the main room) before and after. */
  | { kind: 'assignment'; userId: string; from: string | null; to: string | null }
  | { kind: 'mode'; from: AssignmentMode | null; to: AssignmentMode | null }
  /** A new seed: the assignments of the same transaction were made by "Automatically assign". */
  | { kind: 'seed' }
  | { kind: 'sessionStarted'; timerMinutes: number | null }
  | { kind: 'sessionEnded'; closingSeconds: number }
  | { kind: 'timerExtended' };

/** Why the server wrote the control document, when it wrote for someone (R47, R77). */
export type ServerWriteReason = 'late-joiner' | 'intent';

/**
 * Who made a transaction: a member over their own connection (its signed-in identity, whatever the
 * client claims; `merged` when it came in their first exchange after connecting, i.e. made offline), or
 * the server as trusted writer, on behalf of `actor` when it wrote for someone.
 */
export type HistorySource =
  | { kind: 'member'; userId: string; displayName: string; merged: boolean }
  | {
      kind: 'server';
      actor: { userId: string; displayName: string } | null;
      reason: ServerWriteReason | null;
    };

export type HistoryEntryKind =
  | 'roomAdded'
  | 'roomRemoved'
  | 'roomRenamed'
  | 'seatCap'
  | 'mode'
  | 'assignment'
  | 'autoAssign'
  | 'lateJoiner'
  | 'choice'
  | 'sessionStarted'
  | 'sessionEnded'
  | 'timerExtended'
  | 'setupDeleted';

export interface HistoryEntry {
  id: string;
  /** The server's clock when the change arrived (ms). */
  at: number;
  actorId: string;
  actorName: string;
  /** Made offline and merged when its author reconnected. */
  merged: boolean;
  kind: HistoryEntryKind;
  text: string;
}

/** The server's name in the history, for what it did on its own (placing a late joiner, R47). */
export const SERVER_NAME = 'Parley';
export const SERVER_ACTOR_ID = 'server';
/** The history keeps this many of the latest entries. */
export const MAX_HISTORY_ENTRIES = 2000;
/** More assignment changes than this in one transaction are one entry with a count. */
export const MAX_SEPARATE_ASSIGNMENTS = 3;
/** Rooms named in one "added 3 rooms: …" entry; more are only counted. */
const MAX_LISTED_ROOMS = 5;

/** The name shown for a member the server no longer lists. */
export const FORMER_MEMBER = 'a former member';
/** The name shown for a room whose name is not known any more. */
export const UNKNOWN_ROOM = 'a removed room';

export interface HistoryActor {
  actorId: string;
  actorName: string;
  merged: boolean;
  reason: ServerWriteReason | null;
}

/**
 * Who an entry names as its author: the member, or for the server's writes the person they were for
 * (a participant's choice is theirs) — except placing a late joiner, which the server decides itself.
 */
export function getHistoryActor(source: HistorySource): HistoryActor {
  if (source.kind === 'member') {
    return { actorId: source.userId, actorName: source.displayName, merged: source.merged, reason: null };
  }
  if (source.actor && source.reason !== 'late-joiner') {
    return {
      actorId: source.actor.userId,
      actorName: source.actor.displayName,
      merged: false,
      reason: source.reason
    };
  }
  return { actorId: SERVER_ACTOR_ID, actorName: SERVER_NAME, merged: false, reason: source.reason };
}

export interface HistoryDraft {
  kind: HistoryEntryKind;
  text: string;
}

const quote = (text: string) => `“${text}”`;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function timerText(minutes: number | null): string {
  return minutes === null ? '' : ` (${minutes}-minute timer)`;
}

function countdownText(seconds: number): string {
  return seconds === 0 ? ' (no countdown)' : ` (${seconds} s countdown)`;
}

/**
 * The entries for one transaction's changes, in a fixed order: rooms added, renamed, seat caps, rooms
 * removed, the mode, people, then the session. Assignments undone by a removed room (R43) are not
 * repeated; many assignment changes are one entry with a count; deleting the whole setup (R50) is one
 * entry. Nothing visible changed: no entries.
 */
export function describeControlChanges({
  changes,
  actor,
  roomName,
  memberName
}: {
  changes: readonly ControlChange[];
  actor: Pick<HistoryActor, 'actorId' | 'actorName' | 'reason'>;
  /** A room's name as the transaction left it (or as it was last known, for a removed room). */
  roomName: (roomId: string) => string;
  /** A member's display name. */
  memberName: (userId: string) => string;
}): HistoryDraft[] {
  const who = actor.actorName;
  const drafts: HistoryDraft[] = [];
  const of = <K extends ControlChange['kind']>(kind: K) =>
    changes.filter((c): c is Extract<ControlChange, { kind: K }> => c.kind === kind);

  // "Delete breakout rooms" clears everything, the mode too; nothing else unsets the mode.
  if (of('mode').some((c) => c.from !== null && c.to === null)) {
    return [{ kind: 'setupDeleted', text: `${who} deleted the breakout rooms` }];
  }

  const added = of('roomAdded');
  if (added.length === 1) {
    drafts.push({ kind: 'roomAdded', text: `${who} added ${added[0].name}` });
  } else if (added.length > 1) {
    const names = added.map((c) => c.name);
    drafts.push({
      kind: 'roomAdded',
      text:
        names.length <= MAX_LISTED_ROOMS
          ? `${who} added ${names.length} rooms: ${listNames(names)}`
          : `${who} added ${names.length} rooms`
    });
  }

  for (const change of of('roomRenamed')) {
    if (change.from === change.to) continue;
    drafts.push({
      kind: 'roomRenamed',
      text:
        change.from === null
          ? `${who} named a room ${quote(change.to)}`
          : `${who} renamed ${quote(change.from)} to ${quote(change.to)}`
    });
  }

  for (const change of of('seatCap')) {
    if (change.from === change.to) continue;
    const room = roomName(change.roomId);
    drafts.push({
      kind: 'seatCap',
      text:
        change.to === null
          ? `${who} removed the seat cap of ${room}`
          : `${who} set a seat cap of ${change.to} on ${room}`
    });
  }

  const removed = of('roomRemoved');
  const removedIds = new Set(removed.map((c) => c.roomId));
  for (const change of removed) {
    drafts.push({ kind: 'roomRemoved', text: `${who} removed ${roomName(change.roomId)}` });
  }

  for (const change of of('mode')) {
    if (change.to === null || change.from === change.to) continue;
    drafts.push({ kind: 'mode', text: `${who} set the mode to ${quote(MODE_LABELS[change.to])}` });
  }

  drafts.push(
    ...describeAssignments({
      // Removing a room makes its people unassigned (R43): the removal already says so.
      moves: of('assignment').filter(
        (c) => c.from !== c.to && !(c.to === null && c.from !== null && removedIds.has(c.from))
      ),
      automatic: of('seed').length > 0,
      actor,
      roomName,
      memberName
    })
  );

  for (const change of of('sessionStarted')) {
    drafts.push({
      kind: 'sessionStarted',
      text: `${who} started breakout sessions${timerText(change.timerMinutes)}`
    });
  }
  if (of('timerExtended').length > 0) {
    drafts.push({ kind: 'timerExtended', text: `${who} extended the timer` });
  }
  for (const change of of('sessionEnded')) {
    drafts.push({
      kind: 'sessionEnded',
      text: `${who} ended breakout sessions${countdownText(change.closingSeconds)}`
    });
  }
  return drafts;
}

function describeAssignments({
  moves,
  automatic,
  actor,
  roomName,
  memberName
}: {
  moves: Extract<ControlChange, { kind: 'assignment' }>[];
  automatic: boolean;
  actor: Pick<HistoryActor, 'actorId' | 'actorName' | 'reason'>;
  roomName: (roomId: string) => string;
  memberName: (userId: string) => string;
}): HistoryDraft[] {
  if (moves.length === 0) return [];
  const who = actor.actorName;
  if (actor.reason === 'late-joiner') {
    return moves
      .filter((move) => move.to !== null)
      .map((move) => ({
        kind: 'lateJoiner' as const,
        text: `${who} placed ${memberName(move.userId)} in ${roomName(move.to!)} (joined late)`
      }));
  }
  if (automatic) {
    return [
      {
        kind: 'autoAssign',
        text: `${who} assigned ${count(moves.length, 'participant', 'participants')} automatically`
      }
    ];
  }
  if (moves.length > MAX_SEPARATE_ASSIGNMENTS) {
    const targets = new Set(moves.map((move) => move.to));
    const [target] = targets;
    const people = count(moves.length, 'participant', 'participants');
    return [
      {
        kind: 'assignment',
        text:
          targets.size > 1
            ? `${who} changed the rooms of ${people}`
            : target === null
              ? `${who} moved ${people} back to unassigned`
              : `${who} moved ${people} to ${roomName(target)}`
      }
    ];
  }
  return moves.map((move) => {
    if (actor.reason === 'intent' && move.userId === actor.actorId && move.to !== null) {
      return { kind: 'choice' as const, text: `${who} chose ${roomName(move.to)}` };
    }
    const person = memberName(move.userId);
    const text =
      move.to === null
        ? `${who} moved ${person} back to unassigned`
        : move.from === null
          ? `${who} assigned ${person} to ${roomName(move.to)}`
          : `${who} moved ${person} from ${roomName(move.from)} to ${roomName(move.to)}`;
    return { kind: 'assignment' as const, text };
  });
}

/**
 * The history's entries newest first; entries stored in one batch keep their order (the later one of
 * them first).
 */
export function newestFirst(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.at - a.entry.at || b.index - a.index)
    .map(({ entry }) => entry);
}
