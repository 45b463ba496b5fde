/**
 * The y-websocket wire format, as the stock client speaks it (one message per binary frame):
 *
 *   sync:            varUint 0, varUint subtype (0 step1 | 1 step2 | 2 update), varUint8Array payload
 *   awareness:       varUint 1, varUint8Array awareness update
 *   auth:            varUint 2, … (the server never sends it; a client that does is refused)
 *   query awareness: varUint 3
 *
 * Decoding is strict: anything short, long or unknown is a `MalformedMessageError`, so one bad frame
 * closes one connection (SPEC R16) instead of being half-read by the generic y-protocols readers.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';

export const messageSync = 0;
export const messageAwareness = 1;
export const messageAuth = 2;
export const messageQueryAwareness = 3;

export type ClientMessage =
  | { type: 'syncStep1'; stateVector: Uint8Array }
  | { type: 'syncStep2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'queryAwareness' };

export class MalformedMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'MalformedMessageError';
  }
}

/** Reads one client frame. Throws `MalformedMessageError` for anything that is not exactly one message. */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  const decoder = decoding.createDecoder(frame);
  let message: ClientMessage;
  try {
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case messageSync: {
        const subtype = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (subtype === syncProtocol.messageYjsSyncStep1) {
          // Decoded here so that a garbled state vector is a malformed frame, not an error while answering.
          Y.decodeStateVector(payload);
          message = { type: 'syncStep1', stateVector: payload };
        } else if (subtype === syncProtocol.messageYjsSyncStep2) {
          message = { type: 'syncStep2', update: payload };
        } else if (subtype === syncProtocol.messageYjsUpdate) {
          message = { type: 'update', update: payload };
        } else {
          throw new MalformedMessageError(`Unknown sync message type ${subtype}.`);
        }
        break;
      }
      case messageAwareness:
        message = { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
        break;
      case messageQueryAwareness:
        message = { type: 'queryAwareness' };
        break;
      case messageAuth:
        // Access is decided at upgrade time from the cookie; the protocol's auth message has no role here.
        throw new MalformedMessageError('Auth messages are not accepted; access comes from the session.');
      default:
        throw new MalformedMessageError(`Unknown message type ${type}.`);
    }
  } catch (error) {
    if (error instanceof MalformedMessageError) throw error;
    throw new MalformedMessageError(`Truncated or garbled frame: ${(error as Error).message}`);
  }
  if (decoding.hasContent(decoder)) {
    throw new MalformedMessageError('Trailing bytes after the message.');
  }
  return message;
}

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageSync);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** The answer to a client's step 1: everything the server has that the client's state vector lacks. */
export function encodeSyncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageSync);
  syncProtocol.writeSyncStep2(encoder, doc, stateVector);
  return encoding.toUint8Array(encoder);
}

export function encodeUpdateMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageSync);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeAwarenessMessage(
  awareness: awarenessProtocol.Awareness,
  clients: number[]
): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageAwareness);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}
