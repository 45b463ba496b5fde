import { getDocName } from '../domain/docs';
import { newestFirst, type HistoryEntry } from '../domain/history';
import { asConversationId } from '../domain/ids';
import { observeHistory, readHistoryEntries } from '../sync/history';
import { openDoc, type DocConnection, type OpenDocOptions } from '../sync/openDoc';

/** What the close of the history document means for its reader (R14, R97). */
const NOT_A_MODERATOR = 'Only moderators can read the setup history.';

/**
 * The setup history of one conversation (SPEC R97), live, newest first. Opens the history document
 * (read-only: only the server writes it, only moderators may read it), so create it only for a
 * moderator and only while the history is shown; `destroy()` closes it again. The local copy shows at
 * once, also offline; `synced` says the server's entries have arrived.
 */
export class HistoryState {
  /** Newest first. */
  entries = $state.raw<HistoryEntry[]>([]);
  /** The local copy is loaded (the entries as last seen). */
  loaded = $state(false);
  /** The server's entries have arrived since the document opened. */
  synced = $state(false);
  /** Why the history cannot be read (no longer a moderator, a failure), as a sentence. */
  error = $state<string | null>(null);

  #connection: DocConnection | null = null;
  #cleanups: (() => void)[] = [];
  #destroyed = false;

  constructor({
    conversationId,
    userId,
    open = openDoc
  }: {
    conversationId: string;
    userId: string;
    /** Opens the document; tests pass their own. */
    open?: (options: OpenDocOptions) => Promise<DocConnection>;
  }) {
    const docName = getDocName({ conversationId: asConversationId(conversationId), kind: 'history' });
    void this.#open(open, { docName, userId });
  }

  async #open(
    open: (options: OpenDocOptions) => Promise<DocConnection>,
    options: OpenDocOptions
  ): Promise<void> {
    let connection: DocConnection;
    try {
      connection = await open(options);
    } catch (error) {
      if (!this.#destroyed) this.error = error instanceof Error ? error.message : String(error);
      return;
    }
    if (this.#destroyed) {
      await connection.destroy();
      return;
    }
    this.#connection = connection;
    const read = () => {
      this.entries = newestFirst(readHistoryEntries(connection.doc));
    };
    const follow = () => {
      this.synced = connection.synced;
      const closed = connection.closed;
      if (closed) {
        // The server closes a demoted moderator's history with 4401 and says why (R14).
        this.error = closed.code === 4401 ? closed.reason || NOT_A_MODERATOR : closed.message;
      }
    };
    this.#cleanups.push(observeHistory(connection.doc, read), connection.subscribe(follow));
    read();
    follow();
    this.loaded = true;
  }

  destroy(): void {
    this.#destroyed = true;
    for (const off of this.#cleanups.splice(0)) off();
    void this.#connection?.destroy();
    this.#connection = null;
  }
}
