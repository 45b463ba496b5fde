import type * as Y from 'yjs';
import type { Outbox, OutboxItem } from '../sync/outbox';
import { observeChat, readChatMessages, type ChatEntry } from '../sync/schema';

export type ChatItemStatus = 'delivered' | 'sending' | 'waiting' | 'failed';

export interface ChatItem extends ChatEntry {
  status: ChatItemStatus;
  error: string | null;
  /** Posted by a moderator into every room at once ("Broadcast message", R79). */
  broadcast: boolean;
}

function toStatus(state: OutboxItem['state']): ChatItemStatus {
  switch (state) {
    case 'failed':
      return 'failed';
    case 'waiting':
      return 'waiting';
    default:
      // `sent` stays "Sending…" until the chat document brings the server's copy.
      return 'sending';
  }
}

/**
 * The messages of one chat (the main room's, or a breakout room's when `room` is given): the server's, from the chat document, followed by this user's messages
 * still in the outbox. A message leaves the outbox view the moment the document holds its id.
 */
export class ChatState {
  #entries = $state.raw<ChatEntry[]>([]);
  #outboxItems = $state.raw<OutboxItem[]>([]);
  #unsubscribe: (() => void)[] = [];
  #outbox: Outbox;

  readonly items: ChatItem[] = $derived.by(() => {
    // A throwaway lookup built and read within this computation: nothing to make reactive.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const delivered = new Set(this.#entries.map((e) => e.id));
    const own = this.#outboxItems
      .filter((i) => !delivered.has(i.id))
      .map((i): ChatItem => ({
        id: i.id,
        authorId: this.#me.userId,
        authorName: this.#me.displayName,
        text: i.text,
        createdAt: i.createdAt,
        status: toStatus(i.state),
        error: i.error,
        broadcast: false
      }));
    return [
      ...this.#entries.map((e): ChatItem => ({
        ...e,
        status: 'delivered',
        error: null,
        broadcast: e.broadcast === true
      })),
      ...own
    ];
  });

  #me: { userId: string; displayName: string };

  constructor({
    doc,
    outbox,
    conversationId,
    room,
    me
  }: {
    doc: Y.Doc;
    outbox: Outbox;
    conversationId: string;
    /** A breakout room's id; omitted for the main room. */
    room?: string;
    me: { userId: string; displayName: string };
  }) {
    this.#outbox = outbox;
    this.#me = me;
    const readDoc = () => {
      this.#entries = readChatMessages(doc);
      this.#forgetDelivered();
    };
    const readOutbox = () => {
      this.#outboxItems = outbox.itemsFor(conversationId, room);
      this.#forgetDelivered();
    };
    readDoc();
    readOutbox();
    this.#unsubscribe.push(observeChat(doc, readDoc));
    this.#unsubscribe.push(outbox.subscribe(readOutbox));
  }

  /** Drops a refused message from view once its error has been read. */
  dismiss(id: string): void {
    this.#outbox.forget(id);
  }

  #forgetDelivered(): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, never observed
    const ids = new Set(this.#entries.map((e) => e.id));
    for (const item of this.#outboxItems) {
      if (item.state === 'sent' && ids.has(item.id)) queueMicrotask(() => this.#outbox.forget(item.id));
    }
  }

  destroy(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
  }
}
