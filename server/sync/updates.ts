/**
 * Checks on incoming Yjs updates, made before anything touches the shared document.
 */
import * as Y from 'yjs';
import { MalformedMessageError } from './protocol';

/**
 * Whether applying `update` to a document in state `snapshot` would change nothing: every struct is
 * already below the snapshot's state vector and every deletion is already in its delete set. This is
 * how a read-only connection's sync answer is told apart from a change (SPEC R12): the stock client
 * answers the server's step 1 with a diff that is empty unless it holds something the server lacks.
 */
export function isKnownUpdate(snapshot: Y.Snapshot, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(snapshot, update);
  } catch (error) {
    throw new MalformedMessageError(`Garbled update: ${(error as Error).message}`);
  }
}

/**
 * Decodes the whole update once before it is applied. `Y.applyUpdate` integrates the structs before it
 * reads the delete set, so a frame cut inside the delete set would otherwise be half applied, fanned
 * out and stored before the error surfaced.
 */
export function assertWellFormedUpdate(update: Uint8Array): void {
  try {
    Y.decodeUpdate(update);
  } catch (error) {
    throw new MalformedMessageError(`Garbled update: ${(error as Error).message}`);
  }
}
