/**
 * One WebSocket connected to one document, with the access decided for it (SPEC R11, R14).
 */
import { WebSocket } from 'ws';
import type { DocRef } from '../../src/lib/domain/docs';
import type { Access } from '../../src/lib/domain/policy';
import type { Identity } from '../auth/identity';

/** Frames a connection may send before its document has loaded; the stock client sends two or three. */
const MAX_EARLY_FRAMES = 256;

export class Connection {
  readonly ws: WebSocket;
  readonly identity: Identity;
  readonly docName: string;
  readonly ref: DocRef;
  /** Mutable: a role change re-decides it while the connection stays open (SPEC R14). */
  access: Exclude<Access, 'none'>;
  /** Awareness client ids this connection owns (SPEC R19), removed from everyone's view when it closes. */
  readonly awarenessIds = new Set<number>();
  /** Bumped by every re-decision of `access`, so a slower, older decision never overwrites a newer one. */
  accessRevision = 0;
  /** Cleared by every keepalive round and set again by the pong. */
  isAlive = true;
  /** Frames that arrived before the document was loaded, handled in order once it is (SPEC R15). */
  earlyFrames: Uint8Array[] | null = [];
  #closed = false;

  constructor(options: {
    ws: WebSocket;
    identity: Identity;
    docName: string;
    ref: DocRef;
    access: Exclude<Access, 'none'>;
  }) {
    this.ws = options.ws;
    this.identity = options.identity;
    this.docName = options.docName;
    this.ref = options.ref;
    this.access = options.access;
  }

  /** True once the server decided to close it (or it closed): no more of its frames are handled. */
  get isClosed(): boolean {
    return this.#closed || this.ws.readyState !== WebSocket.OPEN;
  }

  /** Queues a frame that arrived before the document loaded; false when the client floods. */
  holdEarlyFrame(frame: Uint8Array): boolean {
    if (this.earlyFrames === null) return true;
    if (this.earlyFrames.length >= MAX_EARLY_FRAMES) return false;
    this.earlyFrames.push(frame);
    return true;
  }

  /** Sends without a callback: a failed socket reports itself through 'close', which cleans up. */
  send(message: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(message, { binary: true });
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.earlyFrames = null;
    try {
      // Close reasons are limited to 123 bytes by the protocol.
      this.ws.close(code, truncateReason(reason));
    } catch {
      this.ws.terminate();
    }
  }
}

function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= 123) return reason;
  return (
    bytes
      .subarray(0, 120)
      .toString('utf8')
      .replace(/\uFFFD*$/, '') + '…'
  );
}
