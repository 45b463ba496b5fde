/**
 * What the server does with one frame from one connection, once the document is loaded. Access is
 * enforced here (SPEC R12): a read-only connection's update is applied never, and accepted only when
 * it carries nothing the server lacks (the stock client's sync answer to a server that is ahead).
 */
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Connection } from './connection';
import type { SharedDoc } from './sharedDoc';
import {
  decodeClientMessage,
  encodeAwarenessMessage,
  encodeSyncStep2,
  MalformedMessageError
} from './protocol';
import { assertWellFormedUpdate, isKnownUpdate } from './updates';
import { CLOSE } from './types';

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
        receiveUpdate(shared, conn, message.update);
        return;
      case 'awareness':
        // Presence is not document content: every member, read-only or not, may show theirs.
        awarenessProtocol.applyAwarenessUpdate(shared.awareness, message.update, conn);
        return;
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

function receiveUpdate(shared: SharedDoc, conn: Connection, update: Uint8Array): void {
  if (conn.access === 'write') {
    assertWellFormedUpdate(update);
    Y.applyUpdate(shared.doc, update, conn);
    return;
  }
  if (isKnownUpdate(shared.getSnapshot(), update)) return;
  conn.close(CLOSE.readOnlyWrite, 'This connection is read-only; the change was not applied.');
}
