/**
 * The stored update log of one document (SPEC R17). Accepted updates are queued and written in batches
 * on a later turn of the event loop, so storage never sits between an update and its fan-out. Writes
 * of one document are chained, so batches land in order and compaction never races an append.
 */
import type { Persistence } from '../persistence/types';

export interface UpdateLogOptions {
  docName: string;
  persistence: Persistence;
  /** Rows after which the log is replaced by one update encoding the whole document. */
  compactAfterRows: number;
  /** The whole document as one update, for compaction; read at compaction time. */
  encodeState: () => Uint8Array;
  onError: (error: unknown, context: string) => void;
}

export class UpdateLog {
  #pending: Uint8Array[] = [];
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #discarded = false;
  /** Updates ever pushed, and how many of them (a prefix, since batches land in order) are stored. */
  #pushed = 0;
  #stored = 0;
  readonly #options: UpdateLogOptions;

  constructor(options: UpdateLogOptions) {
    this.#options = options;
  }

  /** Updates accepted but not yet handed to storage. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  push(update: Uint8Array): void {
    if (this.#discarded) return;
    this.#pushed++;
    this.#pending.push(update);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }

  /**
   * Resolves once everything pushed so far is stored (or has failed and been put back for the next
   * flush). Never rejects: callers are unload and shutdown paths that must carry on.
   */
  flush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#writeBatch());
    return this.#chain;
  }

  /**
   * Resolves once every update pushed so far is stored, so that a write acknowledged to someone is
   * durable; rejects when storage refused them (they stay queued and later flushes retry them). A
   * discarded log resolves: its document is being deleted on purpose.
   */
  async persist(): Promise<void> {
    const target = this.#pushed;
    await this.flush();
    if (this.#discarded || this.#stored >= target) return;
    throw new Error(`Storage refused the latest updates of ${this.#options.docName}; they will be retried.`);
  }

  /**
   * The document is being deleted: drops what is not stored yet and ignores later pushes. Resolves
   * once a batch already on its way to storage has landed, so that deleting the stored log afterwards
   * cannot be followed by a late append.
   */
  discard(): Promise<void> {
    this.#discarded = true;
    this.#pending = [];
    return this.#chain;
  }

  async #writeBatch(): Promise<void> {
    if (this.#discarded || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    const { docName, persistence, compactAfterRows } = this.#options;
    let rowCount: number;
    try {
      ({ rowCount } = await persistence.appendUpdates(docName, batch));
      this.#stored += batch.length;
    } catch (error) {
      // Put the batch back in front so nothing accepted is lost; the next flush retries it.
      if (!this.#discarded) this.#pending = batch.concat(this.#pending);
      this.#options.onError(error, `storing ${batch.length} update(s) of ${docName}`);
      return;
    }
    if (rowCount <= compactAfterRows || this.#discarded) return;
    try {
      // The live document holds every stored update (and maybe newer pending ones, which are then
      // stored twice: harmless, Yjs updates are idempotent), so the replacement loses nothing.
      await persistence.replaceUpdates(docName, this.#options.encodeState());
    } catch (error) {
      this.#options.onError(error, `compacting ${docName}`);
    }
  }
}
