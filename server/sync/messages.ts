/**
 * What the server does with one frame from one connection, once the document is loaded. Access is
 * enforced here (SPEC R12): a read-only connection's update is applied never, and accepted only when
 * it carries nothing the server lacks (the stock client's sync answer to a server that is ahead).
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Connection } from './connection';
import type { SharedDoc } from './sharedDoc';
import {
  decodeClientMessage,
  encodeAwarenessMessage,
  encodeSyncStep2,
  MalformedMessageError
} from './protocol';
import { makePresenceUser } from '../../src/lib/domain/presence';
import { assertWellFormedUpdate, isKnownUpdate } from './updates';
import { CLOSE, TRANSACTION_META } from './types';

/** Awareness client ids one connection may own; the stock client uses one (SPEC R19). */
export const MAX_AWARENESS_IDS = 4;
/** Largest presence state of one client id, as JSON (SPEC R19). */
export const MAX_AWARENESS_STATE_BYTES = 8 * 1024;

export function handleFrame(shared: SharedDoc, conn: Connection, frame: Uint8Array): void {
  if (conn.isClosed || shared.isDestroyed) return;
  try {
    const message = decodeClientMessage(frame);
    switch (message.type) {
      case 'syncStep1':
        conn.send(encodeSyncStep2(shared.doc, message.stateVector));
        return;
      case 'syncStep2':
      case 'update':
        receiveUpdate(shared, conn, message.update, message.type === 'syncStep2');
        return;
      case 'awareness': {
        // Presence is not document content: every member may show theirs, and only theirs (R19)…
        const own = keepOwnAwareness(shared, conn, message.update);
        if (!own) return;
        if (conn.ref.kind !== 'control') {
          awarenessProtocol.applyAwarenessUpdate(shared.awareness, own, conn);
          return;
        }
        // …but on the control document presence is the moderators' (R95): who they are comes from the
        // connection, and a read-only connection's presence is not relayed.
        if (conn.access !== 'write') {
          dropControlPresence(shared, conn);
          return;
        }
        awarenessProtocol.applyAwarenessUpdate(shared.awareness, stampIdentity(own, conn), conn);
        return;
      }
      case 'queryAwareness': {
        const clients = [...shared.awareness.getStates().keys()];
        conn.send(encodeAwarenessMessage(shared.awareness, clients));
        return;
      }
    }
  } catch (error) {
    // Whatever a client sends, only its own connection pays for it.
    const reason = error instanceof MalformedMessageError ? error.message : 'The message could not be read.';
    conn.close(CLOSE.malformed, reason);
  }
}

/** Connections whose answer to the server's first sync step has arrived. */
const answered = new WeakSet<Connection>();

function receiveUpdate(shared: SharedDoc, conn: Connection, update: Uint8Array, isSyncAnswer: boolean): void {
  // The server sends its step 1 once, on connecting: the client's answer carries what it changed while
  // it was away, which the setup history marks as merged from offline work (R97).
  const isFirstAnswer = isSyncAnswer && !answered.has(conn);
  if (isSyncAnswer) answered.add(conn);
  if (conn.access === 'write') {
    assertWellFormedUpdate(update);
    if (isFirstAnswer) {
      shared.doc.transact((transaction) => {
        transaction.meta.set(TRANSACTION_META.syncAnswer, true);
        Y.applyUpdate(shared.doc, update, conn);
      }, conn);
    } else {
      Y.applyUpdate(shared.doc, update, conn);
    }
    return;
  }
  if (isKnownUpdate(shared.getSnapshot(), update)) return;
  conn.close(CLOSE.readOnlyWrite, 'This connection is read-only; the change was not applied.');
}

/**
 * The part of an awareness update this connection may apply (SPEC R19): entries for client ids it owns
 * or claims now. An id is owned by the first connection that announced it; another connection of the
 * same user takes it over (a reconnecting client keeps its id), anyone else's entries for it are
 * dropped. Too many ids or an oversized state close the connection as malformed. `null` when nothing
 * is left.
 */
function keepOwnAwareness(shared: SharedDoc, conn: Connection, update: Uint8Array): Uint8Array | null {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const kept: Array<{ clientId: number; clock: number; state: string }> = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = decoding.readVarString(decoder);
    if (Buffer.byteLength(state) > MAX_AWARENESS_STATE_BYTES) {
      throw new MalformedMessageError(
        `A presence state is limited to ${MAX_AWARENESS_STATE_BYTES / 1024} KiB.`
      );
    }
    const owner = shared.awarenessOwners.get(clientId);
    if (owner !== conn) {
      if (owner && owner.identity.userId !== conn.identity.userId) continue;
      // Removing the presence of an id nobody owns removes nothing: it is not claimed for that.
      if (!owner && state === 'null') continue;
      if (conn.awarenessIds.size >= MAX_AWARENESS_IDS) {
        throw new MalformedMessageError(`One connection may show at most ${MAX_AWARENESS_IDS} presences.`);
      }
      owner?.awarenessIds.delete(clientId);
      shared.awarenessOwners.set(clientId, conn);
      conn.awarenessIds.add(clientId);
    }
    kept.push({ clientId, clock, state });
  }
  if (decoding.hasContent(decoder))
    throw new MalformedMessageError('Trailing bytes after the presence update.');
  if (kept.length === 0) return null;
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, kept.length);
  for (const entry of kept) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.state);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * Sets the `user` field of every non-null state in an awareness update (already reduced to this
 * connection's own entries) to the connection's signed-in identity, whatever the client sent (R95). A
 * state that is not an object becomes one that holds just the identity.
 */
function stampIdentity(update: Uint8Array, conn: Connection): Uint8Array {
  const user = makePresenceUser(conn.identity);
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, count);
  for (let i = 0; i < count; i++) {
    encoding.writeVarUint(encoder, decoding.readVarUint(decoder));
    encoding.writeVarUint(encoder, decoding.readVarUint(decoder));
    const state = decoding.readVarString(decoder);
    let parsed: unknown;
    try {
      parsed = JSON.parse(state);
    } catch {
      throw new MalformedMessageError('A presence state is not valid JSON.');
    }
    if (parsed === null) {
      encoding.writeVarString(encoder, state);
      continue;
    }
    const fields = typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    encoding.writeVarString(encoder, JSON.stringify({ ...fields, user }));
  }
  return encoding.toUint8Array(encoder);
}

/**
 * A read-only connection on the control document shows no presence (R95). What it showed while it could
 * still write (a moderator demoted since, R14) is removed for everyone now.
 */
function dropControlPresence(shared: SharedDoc, conn: Connection): void {
  const shown = [...conn.awarenessIds].filter(
    (id) => shared.awarenessOwners.get(id) === conn && shared.awareness.getStates().has(id)
  );
  if (shown.length > 0) awarenessProtocol.removeAwarenessStates(shared.awareness, shown, conn);
}
