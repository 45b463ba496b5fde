import { getDocName } from '../domain/docs';
import { asConversationId } from '../domain/ids';
import { openDoc, type DocConnection, type FinalClose } from '../sync/openDoc';
import type { Outbox } from '../sync/outbox';
import { ChatState } from './chat.svelte';

/**
 * The chat of one breakout room (SPEC R81), opened while its view is on screen: readable by moderators
 * and the room's participants, written by the server only; posting goes through the outbox with the room.
 */
export class RoomChatState {
  chat = $state<ChatState | null>(null);
  /** The server closed the room's document for good (not allowed any more, or deleted). */
  closed = $state<FinalClose | null>(null);
  error = $state<string | null>(null);
  #connection: DocConnection | null = null;
  #unsubscribe: (() => void) | null = null;
  #destroyed = false;

  constructor(options: {
    conversationId: string;
    roomId: string;
    outbox: Outbox;
    me: { userId: string; displayName: string };
  }) {
    void this.#open(options);
  }

  async #open({
    conversationId,
    roomId,
    outbox,
    me
  }: {
    conversationId: string;
    roomId: string;
    outbox: Outbox;
    me: { userId: string; displayName: string };
  }): Promise<void> {
    const docName = getDocName({
      conversationId: asConversationId(conversationId),
      kind: 'chat',
      room: roomId
    });
    try {
      const connection = await openDoc({ docName, userId: me.userId });
      if (this.#destroyed) {
        await connection.destroy();
        return;
      }
      this.#connection = connection;
      this.chat = new ChatState({ doc: connection.doc, outbox, conversationId, room: roomId, me });
      this.#unsubscribe = connection.subscribe(() => {
        if (connection.closed && !this.closed) this.closed = connection.closed;
      });
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  destroy(): void {
    this.#destroyed = true;
    this.#unsubscribe?.();
    this.chat?.destroy();
    void this.#connection?.destroy();
    this.#connection = null;
  }
}
