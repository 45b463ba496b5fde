import { untrack } from 'svelte';
import { isUserConfirmed, whenUserConfirmed } from '../api/client';
import { serverClock, startServerClock } from '../api/serverClock';
import { getDocName } from '../domain/docs';
import { asConversationId, asUserId } from '../domain/ids';
import { isModerator } from '../domain/roles';
import { exportSetup, setupDiff } from '../domain/setupDiff';
import { openDoc, openLocalCopyEarly, type DocConnection, type FinalClose } from '../sync/openDoc';
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

/**
 * How long the documents' local copies wait for each other after the first is loaded, to show together
 * (R99): long enough for copies loaded side by side, short enough not to hold a small one back for a
 * large one.
 */
const TOGETHER_MS = 150;

/** Refusals handled per page; a server that keeps refusing after that gets the plain close message. */
const MAX_RECOVERIES = 3;

interface Me {
  userId: string;
  displayName: string;
}

type DocKind = 'meta' | 'chat';

/**
 * A WebSocket (for y-websocket) that connects only once `userId` is confirmed as the signed-in user. The
 * page opens with the remembered user while /api/me is under way (R18, R90): its local copies may show at
 * once, but nothing of them may reach the server under another user's cookie. Until then it is a socket
 * still connecting; if the answer names someone else it never connects (the page closes it when it
 * switches to that user).
 */
function createGatedWebSocket(userId: string, signal: AbortSignal): typeof WebSocket {
  let confirmed = isUserConfirmed(userId);
  const ready = confirmed
    ? Promise.resolve(true)
    : whenUserConfirmed(userId, signal).then((ok) => (confirmed = ok));

  class GatedWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    #binaryType: BinaryType = 'blob';
    onopen: ((event: Event) => void) | null = null;
    onmessage: ((event: MessageEvent) => void) | null = null;
    onerror: ((event: Event) => void) | null = null;
    onclose: ((event: CloseEvent) => void) | null = null;
    #socket: WebSocket | null = null;
    #closed = false;

    constructor(url: string | URL, protocols?: string | string[]) {
      if (confirmed) this.#connect(url, protocols);
      else void ready.then((ok) => ok && this.#connect(url, protocols));
    }

    #connect(url: string | URL, protocols?: string | string[]): void {
      if (this.#closed) return;
      const socket = new WebSocket(url, protocols);
      socket.binaryType = this.#binaryType;
      // Whatever handlers the provider has set (or swapped) by the time an event arrives.
      socket.onopen = (event) => this.onopen?.(event);
      socket.onmessage = (event) => this.onmessage?.(event);
      socket.onerror = (event) => this.onerror?.(event);
      socket.onclose = (event) => this.onclose?.(event);
      this.#socket = socket;
    }

    // Set by the provider right after construction, when the real socket may exist already.
    get binaryType(): BinaryType {
      return this.#binaryType;
    }

    set binaryType(value: BinaryType) {
      this.#binaryType = value;
      if (this.#socket) this.#socket.binaryType = value;
    }

    get readyState(): number {
      return this.#socket?.readyState ?? (this.#closed ? GatedWebSocket.CLOSED : GatedWebSocket.CONNECTING);
    }

    send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      this.#socket?.send(data as never);
    }

    close(code?: number, reason?: string): void {
      this.#closed = true;
      this.#socket?.close(code, reason);
    }
  }
  return GatedWebSocket as unknown as typeof WebSocket;
}

/** The documents a conversation page opens: what `ConversationSession` opens, in that order. */
function getPageDocNames(conversationId: string): { meta: string; chat: string; control: string } {
  const id = asConversationId(conversationId);
  return {
    meta: getDocName({ conversationId: id, kind: 'meta' }),
    chat: getDocName({ conversationId: id, kind: 'chat' }),
    control: getDocName({ conversationId: id, kind: 'control' })
  };
}

/**
 * Starts reading the local copies a conversation page will open, while the app is still starting (SPEC
 * R99): called by the client's `init` hook for an address of a conversation, with the remembered user.
 * The page then finds them loaded, or nearly: the main thread is idle meanwhile, as the page draws
 * nothing of the conversation before its copies are in.
 */
export function preloadConversation({
  conversationId,
  userId
}: {
  conversationId: string;
  userId: string;
}): void {
  for (const docName of Object.values(getPageDocNames(conversationId))) {
    openLocalCopyEarly({ userId, docName });
  }
}

/**
 * Everything live on a conversation page: its meta, breakout control and main-chat documents, and the
 * states derived from them (setup, session). Opened as soon as the page knows whose local copies to open
 * (the remembered user while /api/me is asked: the sockets wait for the answer); `destroy()` when
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
  /**
   * The members and the main chat are loaded (from IndexedDB or the server), or they could not be: the
   * page is drawn once, with them, rather than first empty and then again (R99).
   */
  readonly ready: boolean = $derived(
    (this.members !== null && this.chat !== null) || this.error !== null || this.closed !== null
  );
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
  /** The first control document is open (what the tabs' resync waits for). */
  #controlOpened = $state(false);
  /** Aborted by `destroy()`: a socket still waiting for the user's confirmation stops waiting. */
  readonly #lifetime = new AbortController();
  readonly #WebSocket: typeof WebSocket;

  constructor({ conversationId, me }: { conversationId: string; me: Me }) {
    this.#conversationId = conversationId;
    this.#me = me;
    this.#WebSocket = createGatedWebSocket(me.userId, this.#lifetime.signal);
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
    this.#open();
  }

  #isModerator(): boolean {
    return isModerator(this.members?.getRole(this.#me.userId) ?? null);
  }

  get #controlName(): string {
    return getPageDocNames(this.#conversationId).control;
  }

  #openControl(): Promise<DocConnection> {
    // Local changes go to this user's other tabs only while they are a moderator (R93).
    return openDoc({
      docName: this.#controlName,
      userId: this.#me.userId,
      mayWrite: () => this.#isModerator(),
      WebSocketPolyfill: this.#WebSocket
    });
  }

  /**
   * Opens the three documents side by side. Their local copies usually load within a few milliseconds
   * of each other, and then they show together: the page is drawn and laid out once rather than three
   * times (R99). One that takes longer does not hold the others back beyond `TOGETHER_MS` after the first
   * (R18). The breakout setup (control) never shows before the members (meta): it only reads right with
   * them: who is a participant, their names, and whether this user moderates (a moderator must not see a
   * participant's controls meanwhile, nor a refusal report without names, R94).
   */
  #open(): void {
    let loaded = 0;
    let release: () => void = () => {};
    const together = new Promise<void>((resolve) => (release = resolve));
    const arrived = () => {
      loaded += 1;
      if (loaded === 1) setTimeout(release, TOGETHER_MS);
      if (loaded === 3) release();
    };
    const metaOpened = this.#openFixed('meta', arrived, together, (meta) => {
      this.members = new MembersState(meta.doc);
    });
    void this.#openFixed('chat', arrived, together, (chat) => {
      this.chat = new ChatState({
        doc: chat.doc,
        outbox: this.outbox,
        conversationId: this.#conversationId,
        me: this.#me
      });
    });
    const controlOpened = this.#openControl().finally(arrived);
    void Promise.all([controlOpened, metaOpened, together]).then(
      async ([control]) => {
        if (this.#destroyed) {
          await control.destroy();
          return;
        }
        this.#useControl(control);
        this.#controlOpened = true;
      },
      (error: unknown) => this.#fail(error)
    );

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
    // says this user is one (at once from the local copy, or after a promotion) and the control document
    // is open, ask the other tabs.
    this.#cleanups.push(
      $effect.root(() => {
        $effect(() => {
          if (this.#controlOpened && this.#isModerator()) untrack(() => this.#control?.resyncTabs());
        });
      })
    );
  }

  /**
   * Meta or main chat: open for the life of the page; `use` builds its state once the local copy is in
   * (`arrived` is told) and `together` says the others are in too, or were too slow. Settles either way
   * (a failure is in `error`).
   */
  async #openFixed(
    kind: DocKind,
    arrived: () => void,
    together: Promise<void>,
    use: (d: DocConnection) => void
  ): Promise<void> {
    try {
      const d = await openDoc({
        docName: getPageDocNames(this.#conversationId)[kind],
        userId: this.#me.userId,
        WebSocketPolyfill: this.#WebSocket
      }).finally(arrived);
      await together;
      if (this.#destroyed) {
        await d.destroy();
        return;
      }
      this.#fixed.push(d);
      use(d);
      this.#watch(d, this.#cleanups);
      this.#updateConnection();
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#destroyed) return;
    this.error ??= error instanceof Error ? error.message : String(error);
  }

  /** The connection state over every document open now. */
  #updateConnection(): void {
    const old = this.connection;
    const docs = this.#control ? [...this.#fixed, this.#control] : [...this.#fixed];
    this.connection = new ConnectionState({ docs, outbox: this.outbox });
    old?.destroy();
  }

  /**
   * Reacts to one document's changes: final closes, reconnects. Also to what happened before it was
   * watched: a document connects as soon as its own copy is loaded, and may have connected (or been
   * closed) while another one was still loading.
   */
  #watch(d: DocConnection, cleanups: (() => void)[]): void {
    let wasConnected = false;
    const check = () => {
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
    };
    cleanups.push(d.subscribe(check));
    check();
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

    const old = {
      control: this.#control,
      cleanups: this.#controlCleanups,
      breakout: this.breakout,
      session: this.session
    };
    this.#control = control;
    this.#controlCleanups = cleanups;
    this.breakout = breakout;
    this.session = session;
    this.#updateConnection();
    // Once it is the page's control document, so that a refusal already received is recovered from.
    this.#watch(control, cleanups);

    for (const off of old.cleanups) off();
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
    this.#lifetime.abort();
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
