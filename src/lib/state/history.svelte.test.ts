import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { HistoryEntry } from '../domain/history';
import { appendHistoryEntries } from '../sync/history';
import type { DocConnection, FinalClose, OpenDocOptions } from '../sync/openDoc';
import { HistoryState } from './history.svelte';

/** A document connection under the test's control, in place of the socket and IndexedDB. */
function fakeConnection(doc: Y.Doc) {
  const listeners = new Set<() => void>();
  let synced = false;
  let closed: FinalClose | null = null;
  let destroyed = false;
  const connection: DocConnection = {
    docName: 'conversation/abcdefgh/history',
    doc,
    awareness: new Awareness(doc),
    get status() {
      return synced ? ('connected' as const) : ('connecting' as const);
    },
    get synced() {
      return synced;
    },
    get closed() {
      return closed;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resyncTabs() {},
    destroy() {
      destroyed = true;
      return Promise.resolve();
    }
  };
  return {
    connection,
    sync() {
      synced = true;
      for (const listener of listeners) listener();
    },
    close(value: FinalClose) {
      closed = value;
      for (const listener of listeners) listener();
    },
    get destroyed() {
      return destroyed;
    }
  };
}

const entry = (n: number, merged = false): HistoryEntry => ({
  id: `e${n}`,
  at: 1_000 * n,
  actorId: 'bob',
  actorName: 'Bob',
  merged,
  kind: 'roomRenamed',
  text: `change ${n}`
});

async function openWith(doc: Y.Doc) {
  const fake = fakeConnection(doc);
  const asked: OpenDocOptions[] = [];
  let opened!: () => void;
  const ready = new Promise<void>((resolve) => (opened = resolve));
  const state = new HistoryState({
    conversationId: 'abcdefgh',
    userId: 'alice000',
    open: (options) => {
      asked.push(options);
      queueMicrotask(opened);
      return Promise.resolve(fake.connection);
    }
  });
  await ready;
  await Promise.resolve();
  return { state, fake, asked };
}

describe('HistoryState', () => {
  it('R97: opens the conversation’s history document and lists its entries newest first, live', async () => {
    const doc = new Y.Doc();
    appendHistoryEntries(doc, [entry(1), entry(2, true)], 10);
    const { state, fake, asked } = await openWith(doc);
    expect(asked.map((o) => o.docName)).toEqual(['conversation/abcdefgh/history']);
    expect(state.loaded).toBe(true);
    expect(state.synced).toBe(false);
    expect(state.entries.map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(state.entries[0].merged).toBe(true);

    fake.sync();
    appendHistoryEntries(doc, [entry(3)], 10);
    expect(state.synced).toBe(true);
    expect(state.entries.map((e) => e.id)).toEqual(['e3', 'e2', 'e1']);

    state.destroy();
    expect(fake.destroyed).toBe(true);
    appendHistoryEntries(doc, [entry(4)], 10);
    expect(state.entries).toHaveLength(3);
  });

  it('R14, R97: a demoted moderator’s history closes with the server’s sentence', async () => {
    const { state, fake } = await openWith(new Y.Doc());
    expect(state.error).toBeNull();
    fake.close({
      code: 4401,
      reason: 'Only moderators can read the setup history; you are no longer a moderator.',
      message: 'You are no longer a member of this conversation.'
    });
    expect(state.error).toBe('Only moderators can read the setup history; you are no longer a moderator.');
    state.destroy();
  });
});
