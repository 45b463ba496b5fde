/**
 * Document name → loaded `SharedDoc`. Concurrent openers share one load; a document nobody uses is
 * unloaded after an idle delay, once its pending writes are stored (SPEC R15).
 */
import type { Persistence } from '../persistence/types';
import { SharedDoc } from './sharedDoc';

export interface DocManagerOptions {
  persistence: Persistence;
  idleUnloadMs: number;
  compactAfterRows: number;
  onError: (error: unknown, context: string) => void;
}

export class DocManager {
  readonly #docs = new Map<string, SharedDoc>();
  /** Deletions under way, by name: a document opened meanwhile loads only once its log is gone. */
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #options: DocManagerOptions;

  constructor(options: DocManagerOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#docs.size;
  }

  /**
   * The document, loading it when needed. Cancels a pending unload, so the caller must either attach
   * a connection or pin it and call `release` afterwards, or the document stays loaded for good.
   */
  open(name: string): SharedDoc {
    let shared = this.#docs.get(name);
    if (!shared) {
      const created = new SharedDoc({
        name,
        persistence: this.#options.persistence,
        compactAfterRows: this.#options.compactAfterRows,
        onError: this.#options.onError,
        after: this.#deleting.get(name)
      });
      this.#docs.set(name, created);
      created.whenLoaded.catch((error: unknown) => {
        // A failed load leaves nothing behind: the next opener tries storage again.
        if (this.#docs.get(name) === created) this.#docs.delete(name);
        created.destroy();
        this.#options.onError(error, `loading ${name}`);
      });
      shared = created;
    }
    if (shared.idleTimer) clearTimeout(shared.idleTimer);
    shared.idleTimer = null;
    return shared;
  }

  /** Starts the idle countdown when nothing holds the document any more. */
  release(shared: SharedDoc): void {
    if (shared.isDestroyed || shared.connections.size > 0 || shared.pins > 0 || shared.idleTimer) return;
    if (this.#docs.get(shared.name) !== shared) return;
    shared.idleTimer = setTimeout(() => {
      shared.idleTimer = null;
      this.#unload(shared).catch((error: unknown) =>
        this.#options.onError(error, `unloading ${shared.name}`)
      );
    }, this.#options.idleUnloadMs);
    shared.idleTimer.unref();
  }

  async #unload(shared: SharedDoc): Promise<void> {
    try {
      await shared.whenLoaded;
    } catch {
      return; // a failed load already removed and reported the document
    }
    const isIdle = () => shared.connections.size === 0 && shared.pins === 0 && shared.idleTimer === null;
    await shared.log.flush();
    // Someone came back (or a server write re-armed the timer) while storage was busy: the document stays.
    if (!isIdle()) return;
    if (shared.log.pendingCount > 0) {
      // Storage refused the batch; unloading now would lose it, so try again after another idle delay.
      this.release(shared);
      return;
    }
    if (this.#docs.get(shared.name) === shared) this.#docs.delete(shared.name);
    shared.destroy();
  }

  /**
   * Deletes a document for good (SPEC R50): `beforeDrop` closes its connections, pending writes are
   * dropped, the document is unloaded and its stored log deleted. Whoever opens the same name later
   * starts from an empty document.
   */
  async delete(name: string, beforeDrop: (shared: SharedDoc) => void): Promise<void> {
    // Everything up to the first await happens now, so a writer or connection that comes after this
    // call gets a new, empty document rather than the one being deleted.
    const previous = this.#deleting.get(name);
    const shared = this.#docs.get(name);
    let landed: Promise<void> = Promise.resolve();
    if (shared) {
      this.#docs.delete(name);
      beforeDrop(shared);
      landed = shared.log.discard();
    }
    const deletion = (async () => {
      await previous?.catch(() => {});
      await landed;
      shared?.destroy();
      await this.#options.persistence.deleteUpdates(name);
    })();
    this.#deleting.set(name, deletion);
    try {
      await deletion;
    } finally {
      if (this.#deleting.get(name) === deletion) this.#deleting.delete(name);
    }
  }

  /** Shutdown: lets in-flight server writes finish, stores every pending write, then drops all documents. */
  async unloadAll(): Promise<void> {
    const all = [...this.#docs.values()];
    this.#docs.clear();
    await Promise.all(
      all.map(async (shared) => {
        if (shared.idleTimer) clearTimeout(shared.idleTimer);
        shared.idleTimer = null;
        try {
          await shared.whenLoaded;
        } catch {
          return; // already reported; nothing was loaded, so nothing is pending
        }
        // A server write that got past its checks is storing its change and waits for that to land.
        await shared.whenUnpinned();
        for (let attempt = 0; attempt < 3 && shared.log.pendingCount > 0; attempt++) await shared.log.flush();
        if (shared.log.pendingCount > 0) {
          this.#options.onError(
            new Error('storage kept failing'),
            `storing the last updates of ${shared.name}`
          );
        }
        shared.destroy();
      })
    );
  }
}
