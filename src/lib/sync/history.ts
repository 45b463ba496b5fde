import * as Y from 'yjs';
import { isAssignmentMode } from '../domain/breakout';
import type { ControlChange, HistoryEntry, HistoryEntryKind } from '../domain/history';
import { getControlMaps } from './control';

/**
 * The setup history (SPEC R97), both ends of it:
 *
 * - `watchControlChanges` (the server) turns the Y events of each transaction on a control document into
 *   plain `ControlChange`s: `observeDeep` on its maps and `event.changes.keys` with their `oldValue`s, so
 *   the cost is that of the change, never of the document. It reads the control document's shape as
 *   src/lib/sync/control.ts writes it (rooms → Y.Map { name, order, seatCap }, assignments userId →
 *   { roomId, at }, settings { mode, seed }, session { run, end, timer }); help requests and "Back to main
 *   room" marks are not setup and are not watched.
 * - The history document (`conversation/<id>/history`, written by the server alone): `Y.Array('entries')`
 *   of `HistoryEntry` objects, oldest first, at most the last `max` of them.
 */

const entriesArray = (doc: Y.Doc) => doc.getArray<HistoryEntry>('entries');

/** What one transaction changed, with the names of the rooms it touched as it left them. */
export interface CapturedChanges {
  changes: ControlChange[];
  /**
   * Room id → name: the name now, or the last one known for a room that is gone (removed in this
   * transaction or earlier). Rooms never named are missing.
   */
  roomNames: Record<string, string>;
}

/** Names of removed rooms kept for later mentions (a merged move out of a room removed meanwhile). */
const MAX_FORMER_ROOM_NAMES = 500;

function nameOf(map: unknown): string | null {
  if (!(map instanceof Y.Map)) return null;
  const name: unknown = map.get('name');
  return typeof name === 'string' ? name : null;
}

function roomIdOf(value: unknown): string | null {
  const roomId = (value as { roomId?: unknown } | null | undefined)?.roomId;
  return typeof roomId === 'string' ? roomId : null;
}

const asCap = (value: unknown): number | null => (typeof value === 'number' ? value : null);

interface StoredRun {
  runId?: unknown;
  startedAt?: unknown;
  endsAt?: unknown;
}

/**
 * Calls `listener` once for every transaction on `doc` that changed any part of the setup or the session
 * (an empty list of changes is never reported), right after the transaction's observers ran and before
 * its update is sent anywhere; `listener` should only queue. Returns the function that stops watching.
 * A failure in here is reported to `onError` and never reaches whoever applied the transaction.
 */
export function watchControlChanges(
  doc: Y.Doc,
  listener: (captured: CapturedChanges, transaction: Y.Transaction) => void,
  onError: (error: unknown) => void = () => {}
): () => void {
  const { rooms, assignments, settings, session } = getControlMaps(doc);

  /** Room id → its name as last seen: current rooms, then removed ones (oldest dropped first). */
  const known = new Map<string, string>();
  const former = new Map<string, string>();
  for (const [roomId, map] of rooms) {
    const name = nameOf(map);
    if (name !== null) known.set(roomId, name);
  }
  const lastKnownName = (roomId: string) => known.get(roomId) ?? former.get(roomId) ?? null;

  const pending = new Map<Y.Transaction, ControlChange[]>();
  const collect = (transaction: Y.Transaction): ControlChange[] => {
    let changes = pending.get(transaction);
    if (!changes) pending.set(transaction, (changes = []));
    return changes;
  };
  const guarded =
    (handle: (events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction) => void) =>
    (events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction) => {
      try {
        handle(events, transaction);
      } catch (error) {
        onError(error);
      }
    };

  const onRooms = guarded((events, transaction) => {
    const changes = collect(transaction);
    for (const event of events) {
      if (event.target === rooms) {
        for (const [roomId, { action }] of event.changes.keys) {
          if (action === 'delete') {
            changes.push({ kind: 'roomRemoved', roomId });
            continue;
          }
          const name = nameOf(rooms.get(roomId));
          if (name === null) continue;
          // 'update': the same id added twice at once, one replacing the other; only a name can differ.
          if (action === 'add') changes.push({ kind: 'roomAdded', roomId, name });
          else changes.push({ kind: 'roomRenamed', roomId, from: lastKnownName(roomId), to: name });
        }
        continue;
      }
      if (event.path.length !== 1 || !(event.target instanceof Y.Map)) continue;
      const roomId = String(event.path[0]);
      const room = event.target as Y.Map<unknown>;
      for (const [field, { action, oldValue }] of event.changes.keys) {
        if (action === 'delete') continue;
        if (field === 'name') {
          const to = nameOf(room);
          if (to === null) continue;
          const from = typeof oldValue === 'string' ? oldValue : lastKnownName(roomId);
          if (from !== to) changes.push({ kind: 'roomRenamed', roomId, from, to });
        } else if (field === 'seatCap') {
          const from = action === 'update' ? asCap(oldValue) : null;
          const to = asCap(room.get('seatCap'));
          if (from !== to) changes.push({ kind: 'seatCap', roomId, from, to });
        }
        // `order` has no command that changes it; nothing to tell.
      }
    }
  });

  const onAssignments = guarded((events, transaction) => {
    const changes = collect(transaction);
    for (const event of events) {
      if (event.target !== assignments) continue;
      for (const [userId, { action, oldValue }] of event.changes.keys) {
        const from = action === 'add' ? null : roomIdOf(oldValue);
        const to = action === 'delete' ? null : roomIdOf(assignments.get(userId));
        if (from !== to) changes.push({ kind: 'assignment', userId, from, to });
      }
    }
  });

  const onSettings = guarded((events, transaction) => {
    const changes = collect(transaction);
    for (const event of events) {
      if (event.target !== settings) continue;
      for (const [key, { action, oldValue }] of event.changes.keys) {
        if (key === 'mode') {
          const from = action !== 'add' && isAssignmentMode(oldValue) ? oldValue : null;
          const now = settings.get('mode');
          const to = action !== 'delete' && isAssignmentMode(now) ? now : null;
          if (from !== to) changes.push({ kind: 'mode', from, to });
        } else if (key === 'seed' && action !== 'delete') {
          changes.push({ kind: 'seed' });
        }
      }
    }
  });

  const onSession = guarded((events, transaction) => {
    const changes = collect(transaction);
    const run = session.get('run') as StoredRun | undefined;
    const runId = typeof run?.runId === 'string' ? run.runId : null;
    for (const event of events) {
      if (event.target !== session) continue;
      for (const [key, { action }] of event.changes.keys) {
        if (action === 'delete') continue;
        if (key === 'run' && runId !== null && typeof run?.startedAt === 'number') {
          const timerMinutes =
            typeof run.endsAt === 'number' ? Math.round((run.endsAt - run.startedAt) / 60_000) : null;
          changes.push({ kind: 'sessionStarted', timerMinutes });
          continue;
        }
        // An end or extension made for an earlier run changes nothing (SPEC R71): nothing to tell.
        const value = session.get(key) as { runId?: unknown; closingSeconds?: unknown } | undefined;
        if (runId === null || value?.runId !== runId) continue;
        if (key === 'end' && typeof value.closingSeconds === 'number') {
          changes.push({ kind: 'sessionEnded', closingSeconds: value.closingSeconds });
        } else if (key === 'timer') {
          changes.push({ kind: 'timerExtended' });
        }
      }
    }
  });

  const onAfterTransaction = (transaction: Y.Transaction) => {
    const changes = pending.get(transaction);
    if (!changes) return;
    pending.delete(transaction);
    try {
      const roomNames: Record<string, string> = {};
      const mention = (roomId: string | null) => {
        if (roomId === null || roomId in roomNames) return;
        const name = nameOf(rooms.get(roomId)) ?? lastKnownName(roomId);
        if (name !== null) roomNames[roomId] = name;
      };
      for (const change of changes) {
        if (change.kind === 'assignment') {
          mention(change.from);
          mention(change.to);
        } else if ('roomId' in change) {
          mention(change.roomId);
        }
      }
      // The names as this transaction left them, for the next one to start from.
      for (const change of changes) {
        if (change.kind === 'roomAdded' || change.kind === 'roomRenamed') {
          known.set(change.roomId, change.kind === 'roomAdded' ? change.name : change.to);
          former.delete(change.roomId);
        } else if (change.kind === 'roomRemoved') {
          const name = known.get(change.roomId);
          known.delete(change.roomId);
          if (name === undefined) continue;
          former.delete(change.roomId);
          former.set(change.roomId, name);
          if (former.size > MAX_FORMER_ROOM_NAMES) former.delete(former.keys().next().value!);
        }
      }
      if (changes.length > 0) listener({ changes, roomNames }, transaction);
    } catch (error) {
      onError(error);
    }
  };

  const watched: Array<[Y.Map<unknown>, typeof onRooms]> = [
    [rooms, onRooms],
    [assignments, onAssignments],
    [settings, onSettings],
    [session, onSession]
  ];
  for (const [map, handler] of watched) map.observeDeep(handler);
  doc.on('afterTransaction', onAfterTransaction);
  return () => {
    for (const [map, handler] of watched) map.unobserveDeep(handler);
    doc.off('afterTransaction', onAfterTransaction);
    pending.clear();
  };
}

/**
 * Appends entries to the history document and drops the oldest beyond `max`, in one transaction (the
 * server's, inside `writeAsServer`). Entries are stored as plain objects, each replaced never.
 */
export function appendHistoryEntries(doc: Y.Doc, entries: readonly HistoryEntry[], max: number): void {
  if (entries.length === 0) return;
  const array = entriesArray(doc);
  doc.transact(() => {
    array.push(entries.map((entry) => ({ ...entry })));
    const excess = array.length - max;
    if (excess > 0) array.delete(0, excess);
  }, 'server');
}

const ENTRY_KINDS: ReadonlySet<string> = new Set<HistoryEntryKind>([
  'roomAdded',
  'roomRemoved',
  'roomRenamed',
  'seatCap',
  'mode',
  'assignment',
  'autoAssign',
  'lateJoiner',
  'choice',
  'sessionStarted',
  'sessionEnded',
  'timerExtended',
  'setupDeleted'
]);

function readEntry(value: unknown): HistoryEntry | null {
  if (typeof value !== 'object' || value === null) return null;
  const entry = value as Record<string, unknown>;
  if (
    typeof entry.id !== 'string' ||
    typeof entry.at !== 'number' ||
    typeof entry.actorId !== 'string' ||
    typeof entry.actorName !== 'string' ||
    typeof entry.text !== 'string' ||
    typeof entry.kind !== 'string'
  ) {
    return null;
  }
  return {
    id: entry.id,
    at: entry.at,
    actorId: entry.actorId,
    actorName: entry.actorName,
    merged: entry.merged === true,
    // A kind a newer server wrote still shows; its text says what happened.
    kind: (ENTRY_KINDS.has(entry.kind) ? entry.kind : 'assignment') as HistoryEntryKind,
    text: entry.text
  };
}

/** The stored entries, oldest first; anything malformed is skipped. */
export function readHistoryEntries(doc: Y.Doc): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const value of entriesArray(doc)) {
    const entry = readEntry(value);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** Calls `listener` after every change of the entries; returns the unsubscribe function. */
export function observeHistory(doc: Y.Doc, listener: () => void): () => void {
  const array = entriesArray(doc);
  const handler = () => listener();
  array.observe(handler);
  return () => array.unobserve(handler);
}
