import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDocName } from '../../src/lib/domain/docs';
import { asConversationId, asMessageId, asUserId } from '../../src/lib/domain/ids';
import { readChatMessages, readConversationInfo, readMembers } from '../../src/lib/sync/schema';
import {
  createConversation,
  createInvite,
  joinAsAccount,
  joinAsGuest,
  postMessage,
  setRole,
  signUp,
  waitFor,
  type Actor,
  type ConversationJson
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { connectDoc, type DocClient } from '../helpers/yclient';

/**
 * The REST intents write their results into the server-written documents (SPEC R10, R20): what the
 * stock y-websocket client sees must match what the REST answers said.
 */
describe('REST intents show in the meta and chat documents', () => {
  let server: TestServer;
  let alice: Actor;
  let bob: Actor;
  let conversation: ConversationJson;
  const clients: DocClient[] = [];

  const docName = (kind: 'meta' | 'chat') =>
    getDocName({
      conversationId: asConversationId(conversation.id),
      kind,
      room: kind === 'chat' ? 'main' : undefined
    });

  function open(kind: 'meta' | 'chat', actor: Actor): DocClient {
    const client = connectDoc({ baseUrl: server.url, docName: docName(kind), cookie: actor.cookie });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url, 'alice', { displayName: 'Alice' });
    bob = await signUp(server.url, 'bob', { displayName: 'Bob' });
    conversation = await createConversation(server.url, alice.cookie, 'Docs');
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('R2, R10: creating a conversation writes its info and the owner into the meta document', async () => {
    const meta = open('meta', alice);
    await meta.whenSynced();
    expect(readConversationInfo(meta.doc)).toEqual({
      id: conversation.id,
      title: 'Docs',
      ownerId: alice.user.id,
      createdAt: conversation.createdAt
    });
    expect(readMembers(meta.doc)).toEqual([
      {
        userId: alice.user.id,
        displayName: 'Alice',
        username: 'alice',
        kind: 'account',
        role: 'owner',
        joinedAt: conversation.createdAt
      }
    ]);
  });

  it('R3: joiners appear in the meta document live, once each, with their role', async () => {
    const meta = open('meta', alice);
    await meta.whenSynced();
    const { token } = await createInvite(server.url, alice.cookie, conversation.id);
    await joinAsAccount(server.url, bob.cookie, token);
    const guest = await joinAsGuest(server.url, token, 'Gwen');
    await waitFor(() => readMembers(meta.doc).length === 3, { what: 'two joiners in meta' });
    // Joining again must not write a second entry nor reset the role.
    await joinAsAccount(server.url, bob.cookie, token);
    await joinAsGuest(server.url, token, 'Gwen', { cookie: guest.cookie });
    const members = readMembers(meta.doc);
    expect(members.map((m) => [m.userId, m.role, m.kind])).toEqual([
      [alice.user.id, 'owner', 'account'],
      [bob.user.id, 'participant', 'account'],
      [guest.user.id, 'guest', 'guest']
    ]);
    expect(members[2]).toMatchObject({ displayName: 'Gwen', username: null });
  });

  it('R4: a role change shows in the meta document live', async () => {
    const meta = open('meta', bob);
    await meta.whenSynced();
    await setRole(server.url, alice.cookie, {
      conversationId: conversation.id,
      userId: bob.user.id,
      role: 'moderator'
    });
    await waitFor(() => readMembers(meta.doc).find((m) => m.userId === bob.user.id)?.role === 'moderator', {
      what: 'bob shown as moderator'
    });
    await setRole(server.url, alice.cookie, {
      conversationId: conversation.id,
      userId: bob.user.id,
      role: 'participant'
    });
    await waitFor(() => readMembers(meta.doc).find((m) => m.userId === bob.user.id)?.role === 'participant', {
      what: 'bob shown as participant again'
    });
  });

  it('R20, R22: a posted message is appended to the chat document once, even when retried', async () => {
    const chat = open('chat', bob);
    await chat.whenSynced();
    const message = await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      text: 'to the doc'
    });
    await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      id: message.id,
      text: 'to the doc'
    });
    const entry = await waitFor(() => readChatMessages(chat.doc).find((m) => m.id === message.id), {
      what: 'message in chat doc'
    });
    expect(entry).toEqual({
      id: message.id,
      authorId: alice.user.id,
      authorName: 'Alice',
      text: 'to the doc',
      createdAt: message.createdAt
    });
    // A later message proves the retry had its chance to arrive; it must not have.
    const later = await postMessage(server.url, bob.cookie, {
      conversationId: conversation.id,
      text: 'after'
    });
    await waitFor(() => readChatMessages(chat.doc).some((m) => m.id === later.id), { what: 'later message' });
    expect(readChatMessages(chat.doc).filter((m) => m.id === message.id)).toHaveLength(1);
  });

  it('R22: a retry completes a message that reached the table but not the chat document (crash between)', async () => {
    const chat = open('chat', alice);
    await chat.whenSynced();
    // The state a crash right after the SQLite insert leaves behind: the row exists, the document lacks it.
    const { message } = await server.persistence.appendMessage({
      id: asMessageId('msg-interrupted-1'),
      conversationId: asConversationId(conversation.id),
      room: 'main',
      authorId: asUserId(alice.user.id),
      authorName: 'Alice',
      text: 'half sent',
      createdAt: Date.now()
    });
    expect(readChatMessages(chat.doc).some((m) => m.id === message.id)).toBe(false);
    const retried = await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      id: message.id,
      text: 'half sent'
    });
    expect(retried).toEqual(message);
    await waitFor(() => readChatMessages(chat.doc).some((m) => m.id === message.id), {
      what: 'repaired message'
    });
    // A second retry finds it there and adds nothing.
    await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      id: message.id,
      text: 'half sent'
    });
    const marker = await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      text: 'marker'
    });
    await waitFor(() => readChatMessages(chat.doc).some((m) => m.id === marker.id), { what: 'marker' });
    expect(readChatMessages(chat.doc).filter((m) => m.id === message.id)).toHaveLength(1);
  });

  it('R24: the chat document keeps its messages across a server restart', async () => {
    const before = await (async () => {
      const chat = open('chat', alice);
      await chat.whenSynced();
      return readChatMessages(chat.doc);
    })();
    expect(before.length).toBeGreaterThan(0);
    for (const client of clients.splice(0)) client.destroy();
    await server.restart();
    const chat = open('chat', alice);
    await chat.whenSynced();
    expect(readChatMessages(chat.doc)).toEqual(before);
  });
});
