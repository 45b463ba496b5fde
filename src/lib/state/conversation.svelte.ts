import { untrack } from 'svelte';
import { serverClock, startServerClock } from '../api/serverClock';
import { getDocName } from '../domain/docs';
import { asConversationId, asUserId } from '../domain/ids';
import { isModerator } from '../domain/roles';
import { exportSetup, setupDiff } from '../domain/setupDiff';
import { openDoc, type DocConnection, type FinalClose } from '../sync/openDoc';
import { getOutbox, type Outbox } from '../sync/outbox';
import {
  fetchServerCopy,
  mergeRefused,
  replaceLocalCopy,
  takeControlCopy,
  type ControlCopy
} from '../sync/refused';
import { BreakoutSetupState } from './breakout.svelte';
import { toDomainMembers, toPerson } from './breakoutView';
import { ChatState } from './chat.svelte';
import { ConnectionState } from './connection.svelte';
import { MembersState } from './members.svelte';
import { RefusedChangesState } from './refused.svelte';
import { SessionState } from './session.svelte';

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/** Refusals handled per page; a server that keeps refusing after that gets the plain close message. */
const MAX_RECOVERIES = 3;

interface Me {
  userId: string;
  displayName: string;
}

/**
 * Everything live on a conversation page: its meta, breakout control and main-chat documents, and the
 * states derived from them (setup, session). Opened when the page knows who is signed in; `destroy()` when
 * leaving. When the server refuses this copy of the control document (SPEC R94: a moderator demoted while
 * offline), `refused` says what was not applied and the page goes on with the server's copy.
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
  /** Changes to the breakout rooms the server did not apply (R94), until dismissed. */
  refused = $state<RefusedChangesState | null>(null);
  readonly outbox: Outbox;

  #conversationId: string;
  #me: Me;
  /** Meta and main chat: open for the life of the page. */
  #fixed: DocConnection[] = [];
  /** The control document: replaced by the server's copy after a refusal. */
  #control: DocConnection | null = null;
  #controlCleanups: (() => void)[] = [];
  #cleanups: (() => void)[] = [];
  #destroyed = false;
  #recovering = false;
  #recoveries = 0;

  constructor({ conversationId, me }: { conversationId: string; me: Me }) {
    this.#conversationId = conversationId;
    this.#me = me;
    this.outbox = getOutbox(me.userId);
    // What a reload interrupted before it was dismissed is shown again (R94: nothing silently lost).
    this.refused = RefusedChangesState.restore({
      userId: me.userId,
      conversationId,
      isModerator: () => this.#isModerator(),
      ondismiss: () => (this.refused = null)
    });
    // Session moments and phases use the server's clock (R71): measure it while the documents open.
    startServerClock();
    void this.#open();
  }

  #isModerator(): boolean {
    return isModerator(this.members?.getRole(this.#me.userId) ?? null);
  }

  get #controlName(): string {
    return getDocName({ conversationId: asConversationId(this.#conversationId), kind: 'control' });
  }

  #openControl(): Promise<DocConnection> {
    // Local changes go to this user's other tabs only while they are a moderator (R93).
    return openDoc({
      docName: this.#controlName,
      userId: this.#me.userId,
      mayWrite: () => this.#isModerator()
    });
  }

  async #open(): Promise<void> {
    const id = asConversationId(this.#conversationId);
    const userId = this.#me.userId;
    try {
      const [meta, chat, control] = await Promise.all([
        openDoc({ docName: getDocName({ conversationId: id, kind: 'meta' }), userId }),
        openDoc({ docName: getDocName({ conversationId: id, kind: 'chat' }), userId }),
        this.#openControl()
      ]);
      if (this.#destroyed) {
        await Promise.all([meta, chat, control].map((d) => d.destroy()));
        return;
      }
      this.#fixed = [meta, chat];
      this.members = new MembersState(meta.doc);
      this.chat = new ChatState({
        doc: chat.doc,
        outbox: this.outbox,
        conversationId: this.#conversationId,
        me: this.#me
      });
      for (const d of this.#fixed) this.#watch(d, this.#cleanups);
      this.#useControl(control);

      if (typeof window !== 'undefined') {
        const onLine = () => this.session?.setOffline(isOffline());
        window.addEventListener('online', onLine);
        window.addEventListener('offline', onLine);
        this.#cleanups.push(() => {
          window.removeEventListener('online', onLine);
          window.removeEventListener('offline', onLine);
        });
      }
      // Tabs exchange the control document's state only between moderators (R93): once the member list
      // says this user is one (at once from the local copy, or after a promotion), ask the other tabs.
      this.#cleanups.push(
        $effect.root(() => {
          $effect(() => {
            if (this.#isModerator()) untrack(() => this.#control?.resyncTabs());
          });
        })
      );
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  /** Reacts to one document's changes: final closes, reconnects. */
  #watch(d: DocConnection, cleanups: (() => void)[]): void {
    let wasConnected = d.status === 'connected';
    cleanups.push(
      d.subscribe(() => {
        if (d.closed) {
          if (d === this.#control && d.closed.code === 4403) void this.#recoverRefused(d);
          else if (!this.closed) this.closed = d.closed;
        }
        const connected = d.status === 'connected';
        // A socket that comes back means the server is reachable again: stop waiting out the backoff.
        if (connected && !wasConnected) this.outbox.kick();
        // The local clock may have jumped meanwhile (a laptop that slept): measure the server's again.
        if (connected && !wasConnected && d === this.#control) {
          void serverClock.measure({ ifOlderThanMs: 10_000 });
        }
        wasConnected = connected;
      })
    );
  }

  /** Builds the setup and session states on a control document and puts them in place of the old ones. */
  #useControl(control: DocConnection): void {
    const breakout = new BreakoutSetupState({
      doc: control.doc,
      userId: this.#me.userId,
      getMembers: () => this.members?.members ?? [],
      awareness: control.awareness
    });
    const session = new SessionState({
      doc: control.doc,
      userId: this.#me.userId,
      conversationId: this.#conversationId,
      breakout,
      isModerator: () => this.#isModerator(),
      // Opened from IndexedDB first (R18): notices wait for the server's state, unless offline.
      synced: control.synced,
      offline: isOffline()
    });
    const cleanups: (() => void)[] = [
      control.subscribe(() => {
        if (control.synced) session.markSynced();
      })
    ];
    this.#watch(control, cleanups);

    const old = {
      control: this.#control,
      cleanups: this.#controlCleanups,
      breakout: this.breakout,
      session: this.session,
      connection: this.connection
    };
    this.#control = control;
    this.#controlCleanups = cleanups;
    this.breakout = breakout;
    this.session = session;
    this.connection = new ConnectionState({ docs: [...this.#fixed, control], outbox: this.outbox });

    for (const off of old.cleanups) off();
    old.connection?.destroy();
    old.session?.destroy();
    old.breakout?.destroy();
    void old.control?.destroy();
  }

  /**
   * The server closed the control document with 4403 (R12, R94): this copy holds changes it will not
   * apply. Keeps them as "refused", opens the server's copy beside them and lists the differences, then
   * replaces the IndexedDB copy with the server's and goes on with that. If the server's copy cannot be
   * had, nothing is replaced: the refused copy stays stored and a reload tries again.
   */
  async #recoverRefused(refusedConnection: DocConnection): Promise<void> {
    if (this.#recovering || this.#destroyed || refusedConnection !== this.#control) return;
    if (++this.#recoveries > MAX_RECOVERIES) {
      this.closed ??= refusedConnection.closed;
      return;
    }
    this.#recovering = true;
    const userId = this.#me.userId;
    const docName = this.#controlName;
    try {
      const refused = takeControlCopy(refusedConnection.doc);
      const metaMembers = this.members?.members ?? [];
      const members = toDomainMembers(metaMembers);
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup for this one report, never mutated
      const names = new Map(metaMembers.map((m) => [m.userId, m.displayName]));
      const nameOf = (id: string) => toPerson(asUserId(id), names).displayName;
      const setup = exportSetup({ state: refused.setup, members, nameOf });
      const report = (changes: string[], unresolved = false) => {
        this.refused = new RefusedChangesState({
          report: { conversationId: this.#conversationId, at: Date.now(), changes, setup, unresolved },
          userId,
          isModerator: () => this.#isModerator(),
          ondismiss: () => (this.refused = null)
        });
      };

      let server: ControlCopy;
      try {
        server = await fetchServerCopy({ docName, userId });
      } catch (error) {
        if (this.#destroyed) return;
        report(
          [
            `The server’s copy could not be loaded to compare (${
              error instanceof Error ? error.message : String(error)
            }). Your copy is kept: reload the page when you are online to see what differs.`
          ],
          true
        );
        return;
      }
      if (this.#destroyed) return;

      const merged = mergeRefused({ server: server.update, refused: refused.update });
      const changes = setupDiff({ mine: merged.setup, server: server.setup, members, nameOf }).map(
        (c) => c.text
      );
      if (merged.sessionDiffers) {
        changes.push('The breakout session (a start, an end or the timer) — not as on the server');
      }
      // Nothing of the setup differs: the refused updates changed nothing anyone could see; the server's
      // copy replaces them silently.
      if (changes.length > 0) report(changes);

      await replaceLocalCopy({ userId, docName, update: server.update });
      if (this.#destroyed) return;
      const control = await this.#openControl();
      if (this.#destroyed) {
        await control.destroy();
        return;
      }
      this.#useControl(control);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.#recovering = false;
    }
  }

  destroy(): void {
    this.#destroyed = true;
    for (const off of this.#cleanups) off();
    for (const off of this.#controlCleanups) off();
    this.members?.destroy();
    this.chat?.destroy();
    this.session?.destroy();
    this.breakout?.destroy();
    this.connection?.destroy();
    for (const d of this.#fixed) void d.destroy();
    void this.#control?.destroy();
    this.#fixed = [];
    this.#control = null;
  }
}
