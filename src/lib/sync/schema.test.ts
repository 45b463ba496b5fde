import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendChatMessage,
  appendChatMessageOnce,
  observeChat,
  observeMeta,
  readChatMessages,
  readConversationInfo,
  readMembers,
  writeConversationInfo,
  writeMember,
  type MetaMember
} from './schema';

const member = (userId: string, joinedAt: number, role: MetaMember['role'] = 'participant'): MetaMember => ({
  userId,
  displayName: userId,
  username: userId,
  kind: 'account',
  role,
  joinedAt
});

function sync(a: Y.Doc, b: Y.Doc) {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('meta document', () => {
  it('R61: writing a member or the conversation exactly as stored writes nothing; a differing entry is replaced', () => {
    const doc = new Y.Doc();
    writeConversationInfo(doc, { id: 'c1', title: 'Workshop', ownerId: 'alice', createdAt: 1 });
    writeMember(doc, member('bob', 20));
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    writeConversationInfo(doc, { id: 'c1', title: 'Workshop', ownerId: 'alice', createdAt: 1 });
    writeMember(doc, member('bob', 20));
    expect(updates).toHaveLength(0);
    writeMember(doc, member('bob', 20, 'moderator'));
    expect(updates).toHaveLength(1);
    expect(readMembers(doc)[0].role).toBe('moderator');
  });

  it('R10: stores the conversation and members; members are listed by join time on every replica', () => {
    const server = new Y.Doc();
    writeConversationInfo(server, { id: 'c1', title: 'Workshop', ownerId: 'alice', createdAt: 1 });
    writeMember(server, member('carol', 30));
    writeMember(server, member('alice', 10, 'owner'));
    writeMember(server, member('bob', 20));
    const client = new Y.Doc();
    sync(server, client);
    expect(readConversationInfo(client)).toEqual({
      id: 'c1',
      title: 'Workshop',
      ownerId: 'alice',
      createdAt: 1
    });
    expect(readMembers(client).map((m) => m.userId)).toEqual(['alice', 'bob', 'carol']);
  });

  it('R14: a role change replaces the member entry whole and notifies observers', () => {
    const doc = new Y.Doc();
    writeMember(doc, member('bob', 20));
    let calls = 0;
    const stop = observeMeta(doc, () => calls++);
    writeMember(doc, { ...member('bob', 20), role: 'moderator' });
    expect(readMembers(doc)[0].role).toBe('moderator');
    expect(calls).toBe(1);
    stop();
    writeMember(doc, member('bob', 20));
    expect(calls).toBe(1);
  });

  it('an empty document has no conversation info', () => {
    expect(readConversationInfo(new Y.Doc())).toBeNull();
  });
});

describe('chat document', () => {
  it('R22: appendChatMessageOnce adds a message id once, however often it is written', () => {
    const doc = new Y.Doc();
    const entry = { id: 'msg00001', authorId: 'alice', authorName: 'Alice', text: 'hi', createdAt: 5 };
    expect(appendChatMessageOnce(doc, entry)).toBe(true);
    expect(appendChatMessageOnce(doc, { ...entry, text: 'again' })).toBe(false);
    expect(readChatMessages(doc)).toEqual([entry]);
  });

  it('R24: keeps messages in server order with author and time', () => {
    const doc = new Y.Doc();
    let calls = 0;
    observeChat(doc, () => calls++);
    appendChatMessage(doc, { id: 'm1', authorId: 'a', authorName: 'alice', text: 'hi', createdAt: 1 });
    appendChatMessage(doc, { id: 'm2', authorId: 'b', authorName: 'bob', text: 'hello', createdAt: 2 });
    expect(readChatMessages(doc).map((m) => [m.id, m.authorName, m.text])).toEqual([
      ['m1', 'alice', 'hi'],
      ['m2', 'bob', 'hello']
    ]);
    expect(calls).toBe(2);
  });
});
