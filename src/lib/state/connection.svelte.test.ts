import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocConnection, ProviderStatus } from '../sync/openDoc';
import { Outbox, createMemoryOutboxStore, type PostMessage } from '../sync/outbox';
import { appendChatMessage } from '../sync/schema';
import { ChatState } from './chat.svelte';
import { ConnectionState } from './connection.svelte';

/** A document connection whose status the test sets by hand. */
function fakeDoc(status: ProviderStatus, synced: boolean) {
  const listeners = new Set<() => void>();
  const doc = new Y.Doc();
  const conn = {
    docName: 'conversation/abcdefgh/meta',
    doc,
    status,
    synced,
    closed: null,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async destroy() {},
    set(next: { status?: ProviderStatus; synced?: boolean }) {
      Object.assign(conn, next);
      for (const l of listeners) l();
    }
  };
  return conn as typeof conn & DocConnection;
}

describe('ConnectionState', () => {
  it('follows the documents and the outbox', async () => {
    let release: () => void = () => {};
    const post: PostMessage = () => new Promise((resolve) => (release = () => resolve({ ok: true })));
    const outbox = new Outbox({ store: createMemoryOutboxStore(), post });
    await outbox.ready;
    const meta = fakeDoc('connecting', false);
    const chat = fakeDoc('connecting', false);
    const state = new ConnectionState({ docs: [meta, chat], outbox });

    expect(state.label).toBe('Offline — changes will sync');
    meta.set({ status: 'connected' });
    chat.set({ status: 'connected' });
    expect(state.label).toBe('Syncing');
    meta.set({ synced: true });
    chat.set({ synced: true });
    expect(state.label).toBe('Online');

    await outbox.enqueue({ conversationId: 'abcdefgh', text: 'hi' });
    expect(state.label).toBe('Syncing');
    await new Promise<void>((resolve) => {
      const off = outbox.subscribe(() => {
        if (outbox.items[0]?.state === 'sending') {
          off();
          resolve();
        }
      });
    });
    release();
    await new Promise<void>((resolve) => {
      const off = outbox.subscribe(() => {
        if (!outbox.flushing) {
          off();
          resolve();
        }
      });
    });
    expect(state.label).toBe('Online');

    chat.set({ status: 'disconnected', synced: false });
    expect(state.label).toBe('Offline — changes will sync');
    state.destroy();
    outbox.destroy();
  });
});

describe('ChatState', () => {
  it('R23: shows outbox messages after the server ones until the document has the same id', async () => {
    const post: PostMessage = async () => ({ ok: false, retry: true, error: 'offline' });
    const outbox = new Outbox({ store: createMemoryOutboxStore(), post, isOnline: () => false });
    const doc = new Y.Doc();
    appendChatMessage(doc, {
      id: 'servermsg001',
      authorId: 'bob',
      authorName: 'Bob',
      text: 'hello',
      createdAt: 1
    });
    const chat = new ChatState({
      doc,
      outbox,
      conversationId: 'abcdefgh',
      me: { userId: 'alice', displayName: 'Alice' }
    });
    await outbox.enqueue({ conversationId: 'abcdefgh', id: 'pendingmsg01', text: 'hi bob' });
    await outbox.enqueue({ conversationId: 'othertalk1', id: 'elsewhere001', text: 'not here' });
    await new Promise((r) => setTimeout(r, 0));

    expect(chat.items.map((i) => [i.id, i.authorName, i.status])).toEqual([
      ['servermsg001', 'Bob', 'delivered'],
      ['pendingmsg01', 'Alice', 'waiting']
    ]);

    appendChatMessage(doc, {
      id: 'pendingmsg01',
      authorId: 'alice',
      authorName: 'Alice',
      text: 'hi bob',
      createdAt: 2
    });
    expect(chat.items.map((i) => [i.id, i.status])).toEqual([
      ['servermsg001', 'delivered'],
      ['pendingmsg01', 'delivered']
    ]);
    chat.destroy();
    outbox.destroy();
  });
});
