import { ApiError, api, request } from '../api/client';
import { MAIN_ROOM } from '../domain/docs';
import { SIGNED_IN_AS_SOMEONE_ELSE } from '../domain/policy';
import { isValidId } from '../domain/ids';
import { checkMessageText, type Checked } from '../domain/validation';

/**
 * The chat outbox (SPEC R20–R23): messages are intents POSTed to the server, never writes to the chat
 * document. A message waits here, in IndexedDB, until the server has accepted it; the same client-made id
 * is sent on every retry, so the server stores it once however often we try (R22).
 */
export interface OutboxEntry {
  id: string;
  conversationId: string;
  /** The breakout room's chat it goes to (R77); absent for the main room. */
  room?: string;
  text: string;
  createdAt: number;
  /** Enqueue order; entries are sent strictly in this order (R23). */
  seq: number;
}

/**
 * - `queued`: will be sent as soon as the ones before it are;
 * - `sending`: a request is in flight;
 * - `waiting`: the last try could not reach the server (offline, 5xx), or the author is not signed in
 *   in this browser right now (401, or someone else is: SPEC R25); retried with backoff or on reconnect;
 * - `sent`: accepted by the server; shown until the chat document delivers it;
 * - `failed`: refused with a 4xx; dropped from the queue, kept in memory to show the reason.
 */
export type OutboxItemState = 'queued' | 'sending' | 'waiting' | 'sent' | 'failed';

export interface OutboxItem extends OutboxEntry {
  state: OutboxItemState;
  error: string | null;
}

export type PostResult = { ok: true } | { ok: false; retry: boolean; error: string };
export type PostMessage = (entry: OutboxEntry) => Promise<PostResult>;

/** Where queued entries survive reloads. One contract: `load` returns what was `put` and not `remove`d. */
export interface OutboxStore {
  load(): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  remove(id: string): Promise<void>;
  close(): void;
}

/** Entries stored before rooms existed have no `room`: they belong to the main room. */
function getRoomKey(room: string | undefined): string {
  return room || MAIN_ROOM;
}

/** A message id of 22 base64url characters (128 random bits), valid for `isValidId`. */
export function newMessageId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Whether a refusal means "not now" rather than "never" for a queued message: signed out (401), or
 * signed in as someone else than its author (SPEC R25). Signing in again as the author lets it go.
 */
function isWaitingForAuthor(error: ApiError): boolean {
  return error.status === 401 || (error.status === 409 && error.message === SIGNED_IN_AS_SOMEONE_ELSE);
}

/**
 * Posts through the REST API, naming `authorId` so the server refuses it under anyone else's cookie
 * (SPEC R25). Other 4xx answers are final; everything else (network, 5xx, 408, 429) is retried, and
 * so are 401 and the wrong-user 409: the message waits for its author instead of being dropped.
 */
export function createApiPost({
  authorId,
  fetchImpl
}: { authorId?: string; fetchImpl?: typeof fetch } = {}): PostMessage {
  return async (entry) => {
    try {
      await request(
        'POST',
        `/api/conversations/${encodeURIComponent(entry.conversationId)}/messages`,
        { id: entry.id, text: entry.text, authorId, ...(entry.room ? { room: entry.room } : {}) },
        fetchImpl
      );
      return { ok: true };
    } catch (error) {
      if (error instanceof ApiError) {
        return { ok: false, retry: isWaitingForAuthor(error) || !error.isFinal, error: error.message };
      }
      return { ok: false, retry: true, error: String(error) };
    }
  };
}

/** `createApiPost` without an author: the server takes the cookie's user. */
export const postViaApi: PostMessage = createApiPost();

export interface OutboxOptions {
  store: OutboxStore;
  post?: PostMessage;
  /** Whether the browser believes it is online; when false the queue waits for `kick()`. */
  isOnline?: () => boolean;
  /**
   * Whether the cookie this tab would send still belongs to the outbox's user. Another tab may have
   * signed in as someone else meanwhile, and a queued message must never be posted under their name.
   */
  isSameUser?: () => Promise<boolean>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Outbox {
  readonly ready: Promise<void>;
  #store: OutboxStore;
  #post: PostMessage;
  #isOnline: () => boolean;
  #isSameUser: () => Promise<boolean>;
  #initialBackoffMs: number;
  #maxBackoffMs: number;
  #items: OutboxItem[] = [];
  #listeners = new Set<() => void>();
  #running = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;
  #destroyed = false;

  constructor(options: OutboxOptions) {
    this.#store = options.store;
    this.#post = options.post ?? postViaApi;
    this.#isOnline =
      options.isOnline ?? (() => typeof navigator === 'undefined' || navigator.onLine !== false);
    this.#isSameUser = options.isSameUser ?? (async () => true);
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.ready = this.#load();
  }

  async #load(): Promise<void> {
    // An unreadable store must not block sending what is typed now.
    const stored = await this.#store.load().catch((): OutboxEntry[] => []);
    stored.sort((a, b) => a.seq - b.seq);
    const known = new Set(this.#items.map((i) => i.id));
    const restored = stored
      .filter((e) => !known.has(e.id))
      .map((e): OutboxItem => ({ ...e, state: 'queued', error: null }));
    // Entries restored from a previous run go first: they were written before anything typed now.
    this.#items = [...restored, ...this.#items];
    this.#seq = Math.max(this.#seq, ...stored.map((e) => e.seq), Date.now());
    this.#notify();
    if (restored.length > 0) void this.flush();
  }

  /** Every item, in send order. */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** The items of one chat: the main room's when `room` is omitted or `main`. */
  itemsFor(conversationId: string, room?: string): OutboxItem[] {
    const key = getRoomKey(room);
    return this.#items.filter((i) => i.conversationId === conversationId && getRoomKey(i.room) === key);
  }

  /**
   * Refused messages (`failed`) of this conversation's breakout rooms other than `exceptRoom` (the room
   * on screen, whose chat shows its own): their room's view is gone, e.g. the session ended while they
   * were on their way, so the main view shows them instead. Never main-room items: the main chat shows
   * those.
   */
  failedOutside(conversationId: string, exceptRoom: string | null = null): OutboxItem[] {
    const except = getRoomKey(exceptRoom ?? undefined);
    return this.#items.filter((i) => {
      const key = getRoomKey(i.room);
      return (
        i.state === 'failed' && i.conversationId === conversationId && key !== MAIN_ROOM && key !== except
      );
    });
  }

  /** Entries the server has not accepted yet. */
  get pendingCount(): number {
    return this.#items.filter((i) => i.state === 'queued' || i.state === 'sending' || i.state === 'waiting')
      .length;
  }

  /** True while a request is in flight or more entries are about to be sent. */
  get flushing(): boolean {
    return this.#running;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Validates and queues a message; it is stored before this resolves, so a reload right after does not
   * lose it. The `id` is generated when omitted.
   */
  async enqueue({
    conversationId,
    id = newMessageId(),
    text,
    room
  }: {
    conversationId: string;
    id?: string;
    text: string;
    /** A breakout room's id; omitted (or `main`) for the main room. */
    room?: string;
  }): Promise<Checked<OutboxItem>> {
    const checked = checkMessageText(text);
    if (!checked.ok) return checked;
    if (!isValidId(id)) return { ok: false, error: 'This message has an invalid id.' };
    if (this.#items.some((i) => i.id === id)) return { ok: false, error: 'This message is already queued.' };
    await this.ready;
    this.#seq = Math.max(this.#seq + 1, Date.now());
    const entry: OutboxEntry = {
      id,
      conversationId,
      ...(getRoomKey(room) === MAIN_ROOM ? {} : { room }),
      text: checked.value,
      createdAt: Date.now(),
      seq: this.#seq
    };
    await this.#store.put(entry);
    const item: OutboxItem = { ...entry, state: 'queued', error: null };
    this.#items = [...this.#items, item];
    this.#notify();
    void this.flush();
    return { ok: true, value: item };
  }

  /** Retry now: the connection came back, so the backoff wait is pointless. */
  kick(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#attempt = 0;
    void this.flush();
  }

  /** Forgets a `sent` or `failed` item (once the chat shows the real message, or the user dismisses it). */
  forget(id: string): void {
    const before = this.#items.length;
    this.#items = this.#items.filter((i) => !(i.id === id && (i.state === 'sent' || i.state === 'failed')));
    if (this.#items.length !== before) this.#notify();
  }

  /** Sends queued entries in order until the queue is empty or the server cannot be reached. */
  async flush(): Promise<void> {
    await this.ready;
    if (this.#running || this.#destroyed) return;
    if (this.#timer) {
      // Backing off: anything new waits behind the entry that could not be sent.
      for (const i of this.#items) if (i.state === 'queued') this.#setState(i.id, 'waiting', null);
      return;
    }
    this.#running = true;
    this.#notify();
    try {
      if (this.#items.some((i) => i.state === 'queued' || i.state === 'waiting')) {
        const same = await this.#isSameUser().catch(() => false);
        if (!same) {
          for (const i of this.#items) if (i.state === 'queued') this.#setState(i.id, 'waiting', null);
          this.#scheduleRetry();
          return;
        }
      }
      for (;;) {
        if (this.#destroyed) return;
        const next = this.#items.find((i) => i.state === 'queued' || i.state === 'waiting');
        if (!next) return;
        if (!this.#isOnline()) {
          this.#setState(next.id, 'waiting', null);
          return;
        }
        this.#setState(next.id, 'sending', null);
        let result: PostResult;
        try {
          result = await this.#post(next);
        } catch (error) {
          result = { ok: false, retry: true, error: String(error) };
        }
        if (result.ok) {
          this.#attempt = 0;
          await this.#removeStored(next.id);
          this.#setState(next.id, 'sent', null);
        } else if (result.retry) {
          // Stop here rather than skip ahead: later messages must not overtake this one (R23).
          this.#setState(next.id, 'waiting', null);
          this.#scheduleRetry();
          return;
        } else {
          await this.#removeStored(next.id);
          this.#setState(next.id, 'failed', result.error);
        }
      }
    } finally {
      this.#running = false;
      this.#notify();
    }
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
    this.#store.close();
  }

  #scheduleRetry(): void {
    const delay = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** this.#attempt);
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delay);
  }

  async #removeStored(id: string): Promise<void> {
    try {
      await this.#store.remove(id);
    } catch {
      // If the store fails, a reload may send the entry again; the server ignores the repeated id (R22).
    }
  }

  #setState(id: string, state: OutboxItemState, error: string | null): void {
    this.#items = this.#items.map((i) => (i.id === id ? { ...i, state, error } : i));
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** IndexedDB-backed store, one database per signed-in user (like the documents, SPEC R18). */
export function createIndexedDbOutboxStore(name: string, factory: IDBFactory = indexedDB): OutboxStore {
  const STORE = 'entries';
  const dbPromise = new Promise<IDBDatabase>((resolve, reject) => {
    const open = factory.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const run = async <T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>) => {
    const db = await dbPromise;
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  };
  return {
    load: () => run('readonly', (s) => s.getAll() as IDBRequest<OutboxEntry[]>),
    put: async (entry) => {
      await run('readwrite', (s) => s.put(entry));
    },
    remove: async (id) => {
      await run('readwrite', (s) => s.delete(id));
    },
    close: () => {
      dbPromise.then((db) => db.close()).catch(() => {});
    }
  };
}

/** For tests and for browsers without IndexedDB: keeps entries for as long as the object lives. */
export function createMemoryOutboxStore(): OutboxStore {
  const entries = new Map<string, OutboxEntry>();
  return {
    load: async () => [...entries.values()].map((e) => ({ ...e })),
    put: async (entry) => {
      entries.set(entry.id, { ...entry });
    },
    remove: async (id) => {
      entries.delete(id);
    },
    close: () => {}
  };
}

const outboxes = new Map<string, Outbox>();

/**
 * One outbox per signed-in user for the life of the tab: it keeps sending while the user moves between
 * pages, and two users of one browser never mix queues.
 */
export function getOutbox(userId: string): Outbox {
  // Only one user is signed in per browser: queues of an earlier user of this tab stay stored, unsent.
  for (const [other, box] of outboxes) {
    if (other !== userId) {
      box.destroy();
      outboxes.delete(other);
    }
  }
  let outbox = outboxes.get(userId);
  if (!outbox) {
    const store =
      typeof indexedDB === 'undefined'
        ? createMemoryOutboxStore()
        : createIndexedDbOutboxStore(`parley:${userId}:outbox`);
    outbox = new Outbox({
      store,
      post: createApiPost({ authorId: userId }),
      isSameUser: async () => {
        try {
          return (await api.getMe())?.id === userId;
        } catch {
          // Unreachable: the post itself will fail and be retried, with the identity checked again then.
          return true;
        }
      }
    });
    const created = outbox;
    if (typeof window !== 'undefined') window.addEventListener('online', () => created.kick());
    outboxes.set(userId, outbox);
  }
  return outbox;
}
