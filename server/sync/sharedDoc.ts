/**
 * One loaded document: the Y.Doc, its awareness, the connections on it and its update log. Fan-out
 * encodes each update once and sends the same bytes to every other connection; storage happens later
 * in batches (SPEC R17).
 */
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { asBuffer } from '../bytes';
import type { Persistence } from '../persistence/types';
import type { Connection } from './connection';
import { encodeAwarenessMessage, encodeUpdateMessage } from './protocol';
import { UpdateLog } from './updateLog';

/** Transaction origin of the stored state being applied at load time: neither fanned out nor re-stored. */
const LOAD_ORIGIN = Symbol('load');

export interface SharedDocOptions {
  name: string;
  persistence: Persistence;
  compactAfterRows: number;
  onError: (error: unknown, context: string) => void;
  /** A deletion of this document still under way: its stored log must be gone before it is read. */
  after?: Promise<unknown>;
}

export class SharedDoc {
  readonly name: string;
  readonly doc = new Y.Doc();
  readonly awareness: awarenessProtocol.Awareness;
  readonly connections = new Set<Connection>();
  readonly log: UpdateLog;
  /** Resolves once the stored log is applied; rejects when storage could not be read. */
  readonly whenLoaded: Promise<void>;
  /**
   * Awareness client id → the connection that announced it first (SPEC R19). Only that connection may
   * set or remove the id's state, so one member cannot overwrite or hide another's presence.
   */
  readonly awarenessOwners = new Map<number, Connection>();
  /** In-flight server writes that keep the document from being unloaded under them. */
  #pins = 0;
  #unpinned: Array<() => void> = [];
  idleTimer: NodeJS.Timeout | null = null;
  #destroyed = false;
  #snapshot: Y.Snapshot | null = null;

  constructor(options: SharedDocOptions) {
    this.name = options.name;
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // The server has no presence of its own; it only relays the clients'.
    this.awareness.setLocalState(null);
    this.log = new UpdateLog({
      docName: options.name,
      persistence: options.persistence,
      compactAfterRows: options.compactAfterRows,
      encodeState: () => Y.encodeStateAsUpdate(this.doc),
      onError: options.onError
    });
    this.whenLoaded = this.#load(options.persistence, options.after);
  }

  get pins(): number {
    return this.#pins;
  }

  pin(): void {
    this.#pins++;
  }

  unpin(): void {
    this.#pins--;
    if (this.#pins === 0) for (const resolve of this.#unpinned.splice(0)) resolve();
  }

  /** Resolves once no server write holds the document (shutdown waits for them, SPEC R15). */
  whenUnpinned(): Promise<void> {
    if (this.#pins === 0) return Promise.resolve();
    return new Promise((resolve) => this.#unpinned.push(resolve));
  }

  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  /** State vector and delete set of the document, cached until the next change. */
  getSnapshot(): Y.Snapshot {
    this.#snapshot ??= Y.snapshot(this.doc);
    return this.#snapshot;
  }

  /** The awareness states of everyone, as a message for a newcomer; null when nobody is present. */
  encodeAllAwareness(): Uint8Array | null {
    const clients = [...this.awareness.getStates().keys()];
    return clients.length === 0 ? null : encodeAwarenessMessage(this.awareness, clients);
  }

  removeConnection(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    if (conn.awarenessIds.size === 0) return;
    // A client that reconnects keeps its awareness id; its new connection may already have taken it over.
    const gone = [...conn.awarenessIds].filter((id) => this.awarenessOwners.get(id) === conn);
    for (const id of gone) this.awarenessOwners.delete(id);
    if (gone.length > 0 && !this.#destroyed) {
      awarenessProtocol.removeAwarenessStates(this.awareness, gone, null);
    }
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.awareness.destroy();
    this.doc.destroy();
  }

  async #load(persistence: Persistence, after: Promise<unknown> | undefined): Promise<void> {
    // A failed deletion was reported by its caller; loading what is left is all that can be done.
    if (after) await after.catch(() => {});
    const stored = await persistence.loadUpdates(this.name);
    if (this.#destroyed) return;
    if (stored.length > 0) {
      Y.applyUpdate(this.doc, stored.length === 1 ? stored[0] : Y.mergeUpdates(stored), LOAD_ORIGIN);
    }
    // Listeners are attached only now, so the stored state is neither re-stored nor sent as an update:
    // clients get it through the sync steps.
    this.doc.on('update', this.#onUpdate);
    this.awareness.on('update', this.#onAwarenessUpdate);
  }

  #onUpdate = (update: Uint8Array, origin: unknown): void => {
    this.#snapshot = null;
    // One Buffer for everyone: `ws` would otherwise wrap the same bytes again for each connection.
    const message = asBuffer(encodeUpdateMessage(update));
    for (const conn of this.connections) {
      if (conn !== origin) conn.send(message);
    }
    this.log.push(update);
  };

  #onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown
  ): void => {
    const from = this.connections.has(origin as Connection) ? (origin as Connection) : null;
    const message = asBuffer(encodeAwarenessMessage(this.awareness, added.concat(updated, removed)));
    for (const conn of this.connections) {
      if (conn !== from) conn.send(message);
    }
  };
}
