import { serverClock, startServerClock } from '../api/serverClock';
import { getDocName } from '../domain/docs';
import { asConversationId } from '../domain/ids';
import { isModerator } from '../domain/roles';
import { openDoc, type DocConnection, type FinalClose } from '../sync/openDoc';
import { getOutbox, type Outbox } from '../sync/outbox';
import { BreakoutSetupState } from './breakout.svelte';
import { ChatState } from './chat.svelte';
import { ConnectionState } from './connection.svelte';
import { MembersState } from './members.svelte';
import { SessionState } from './session.svelte';

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/**
 * Everything live on a conversation page: its meta, breakout control and main-chat documents, and the
 * states derived from them (setup, session). Opened when the page knows who is signed in; `destroy()` when leaving.
 */
export class ConversationSession {
  members = $state<MembersState | null>(null);
  chat = $state<ChatState | null>(null);
  breakout = $state<BreakoutSetupState | null>(null);
  session = $state<SessionState | null>(null);
  connection = $state<ConnectionState | null>(null);
  /** The first final close of any document (e.g. 4401 after removal). */
  closed = $state<FinalClose | null>(null);
  error = $state<string | null>(null);
  readonly outbox: Outbox;

  #docs: DocConnection[] = [];
  #cleanups: (() => void)[] = [];
  #destroyed = false;

  constructor({
    conversationId,
    me
  }: {
    conversationId: string;
    me: { userId: string; displayName: string };
  }) {
    this.outbox = getOutbox(me.userId);
    // Session moments and phases use the server's clock (R71): measure it while the documents open.
    startServerClock();
    void this.#open(conversationId, me);
  }

  async #open(conversationId: string, me: { userId: string; displayName: string }): Promise<void> {
    const id = asConversationId(conversationId);
    try {
      const [meta, chat, control] = await Promise.all([
        openDoc({ docName: getDocName({ conversationId: id, kind: 'meta' }), userId: me.userId }),
        openDoc({ docName: getDocName({ conversationId: id, kind: 'chat' }), userId: me.userId }),
        BreakoutSetupState.open({
          conversationId,
          userId: me.userId,
          getMembers: () => this.members?.members ?? []
        })
      ]);
      const docs = [meta, chat, control.connection];
      if (this.#destroyed) {
        control.state.destroy();
        await Promise.all(docs.map((d) => d.destroy()));
        return;
      }
      this.#docs = docs;
      this.members = new MembersState(meta.doc);
      this.chat = new ChatState({ doc: chat.doc, outbox: this.outbox, conversationId, me });
      this.breakout = control.state;
      const session = new SessionState({
        doc: control.connection.doc,
        userId: me.userId,
        conversationId,
        breakout: control.state,
        isModerator: () => isModerator(this.members?.getRole(me.userId) ?? null),
        // Opened from IndexedDB first (R18): notices wait for the server's state, unless offline.
        synced: control.connection.synced,
        offline: isOffline()
      });
      this.session = session;
      this.#cleanups.push(
        control.connection.subscribe(() => {
          if (control.connection.synced) session.markSynced();
        })
      );
      if (typeof window !== 'undefined') {
        const onLine = () => session.setOffline(isOffline());
        window.addEventListener('online', onLine);
        window.addEventListener('offline', onLine);
        this.#cleanups.push(() => {
          window.removeEventListener('online', onLine);
          window.removeEventListener('offline', onLine);
        });
      }
      this.connection = new ConnectionState({ docs, outbox: this.outbox });
      for (const d of docs) {
        let wasConnected = d.status === 'connected';
        this.#cleanups.push(
          d.subscribe(() => {
            if (d.closed && !this.closed) this.closed = d.closed;
            const connected = d.status === 'connected';
            // A socket that comes back means the server is reachable again: stop waiting out the backoff.
            if (connected && !wasConnected) this.outbox.kick();
            // The local clock may have jumped meanwhile (a laptop that slept): measure the server's again.
            if (connected && !wasConnected && d === control.connection) {
              void serverClock.measure({ ifOlderThanMs: 10_000 });
            }
            wasConnected = connected;
          })
        );
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  destroy(): void {
    this.#destroyed = true;
    for (const off of this.#cleanups) off();
    this.members?.destroy();
    this.chat?.destroy();
    this.session?.destroy();
    this.breakout?.destroy();
    this.connection?.destroy();
    for (const d of this.#docs) void d.destroy();
    this.#docs = [];
  }
}
