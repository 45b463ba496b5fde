import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createConversation,
  createInvite,
  joinAsAccount,
  joinAsGuest,
  listMessages,
  newMessageId,
  postMessage,
  signUp,
  type Actor,
  type ConversationJson
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';

describe('REST: main chat', () => {
  let server: TestServer;
  let alice: Actor;
  let bob: Actor;
  let carol: Actor;
  let dave: Actor;
  let conversation: ConversationJson;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url, 'alice', { displayName: 'Alice' });
    bob = await signUp(server.url, 'bob', { displayName: 'Bob' });
    carol = await signUp(server.url, 'carol');
    conversation = await createConversation(server.url, alice.cookie, 'Retro');
    const { token } = await createInvite(server.url, alice.cookie, conversation.id);
    await joinAsAccount(server.url, bob.cookie, token);
    dave = await joinAsGuest(server.url, token, 'Dave (guest)');
  });
  afterAll(async () => {
    await server.cleanup();
  });

  const messagesPath = () => `/api/conversations/${conversation.id}/messages`;

  it('R20, R24: a member posts; the message carries author, display name and server time, trimmed (R21)', async () => {
    const before = Date.now();
    const answer = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: bob.cookie,
      body: { id: 'msg-bob-0001', text: '  Hello everyone  ' }
    });
    expect(answer.status).toBe(201);
    expect(answer.body.message).toMatchObject({
      id: 'msg-bob-0001',
      conversationId: conversation.id,
      room: 'main',
      authorId: bob.user.id,
      authorName: 'Bob',
      text: 'Hello everyone'
    });
    expect(answer.body.message.createdAt).toBeGreaterThanOrEqual(before);
    expect(answer.body.message.createdAt).toBeLessThanOrEqual(Date.now());
    const listed = await listMessages(server.url, alice.cookie, conversation.id);
    expect(listed.at(-1)).toEqual(answer.body.message);
  });

  it('R20: a guest member may post too', async () => {
    const message = await postMessage(server.url, dave.cookie, {
      conversationId: conversation.id,
      text: 'guest here'
    });
    expect(message).toMatchObject({ authorId: dave.user.id, authorName: 'Dave (guest)' });
  });

  it('R20: a non-member cannot post (403) nor read (403), and nothing is stored', async () => {
    const count = (await listMessages(server.url, alice.cookie, conversation.id)).length;
    const post = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: carol.cookie,
      body: { id: newMessageId(), text: 'let me in' }
    });
    expect(post.status).toBe(403);
    expect(post.body.error).toMatch(/not a member/);
    const read = await api(server.url, messagesPath(), { cookie: carol.cookie });
    expect(read.status).toBe(403);
    expect(await listMessages(server.url, alice.cookie, conversation.id)).toHaveLength(count);
  });

  it('R20: posting without a session answers 401; to an unknown conversation 404', async () => {
    const anonymous = await api(server.url, messagesPath(), {
      method: 'POST',
      body: { id: newMessageId(), text: 'hi' }
    });
    expect(anonymous.status).toBe(401);
    const unknown = await api(server.url, '/api/conversations/no-such-conversation/messages', {
      method: 'POST',
      cookie: alice.cookie,
      body: { id: newMessageId(), text: 'hi' }
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/does not exist/);
  });

  it('R21: an empty message is refused with 400', async () => {
    const id = newMessageId();
    const answer = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: alice.cookie,
      body: { id, text: '   ' }
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'Empty messages are not sent. Type something first.' });
    expect((await listMessages(server.url, alice.cookie, conversation.id)).some((m) => m.id === id)).toBe(
      false
    );
  });

  it('R21: 32,001 characters are refused with a message stating the length and the limit', async () => {
    const id = newMessageId();
    const answer = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: alice.cookie,
      body: { id, text: 'a'.repeat(32_001) }
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('32,001 characters');
    expect(answer.body.error).toContain('the limit is 32,000');
    expect((await listMessages(server.url, alice.cookie, conversation.id)).some((m) => m.id === id)).toBe(
      false
    );
  });

  it('R21: exactly 32,000 characters are accepted, counted as characters not UTF-16 units', async () => {
    const plain = await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      text: 'b'.repeat(32_000)
    });
    expect(plain.text).toHaveLength(32_000);
    // 32,000 emoji are 64,000 UTF-16 units but 32,000 characters.
    const emoji = await postMessage(server.url, alice.cookie, {
      conversationId: conversation.id,
      text: '🙂'.repeat(32_000)
    });
    expect([...emoji.text]).toHaveLength(32_000);
    // Whitespace around the text is trimmed before counting.
    const padded = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: alice.cookie,
      body: { id: newMessageId(), text: `  ${'c'.repeat(32_000)}  ` }
    });
    expect(padded.status).toBe(201);
  });

  it('R22: posting the same id again answers 200 with the stored message and adds nothing', async () => {
    const id = newMessageId();
    const first = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: bob.cookie,
      body: { id, text: 'once' }
    });
    expect(first.status).toBe(201);
    const count = (await listMessages(server.url, bob.cookie, conversation.id)).length;
    const retry = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: bob.cookie,
      body: { id, text: 'once, edited on retry' }
    });
    expect(retry.status).toBe(200);
    expect(retry.body.message).toEqual(first.body.message);
    const after = await listMessages(server.url, bob.cookie, conversation.id);
    expect(after).toHaveLength(count);
    expect(after.filter((m) => m.id === id)).toEqual([first.body.message]);
  });

  it('R22: the same id from another user is refused with 409 and does not overwrite', async () => {
    const id = newMessageId();
    const original = await postMessage(server.url, bob.cookie, {
      conversationId: conversation.id,
      id,
      text: 'mine'
    });
    const clash = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: alice.cookie,
      body: { id, text: 'not yours' }
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatch(/new id/);
    const stored = (await listMessages(server.url, alice.cookie, conversation.id)).filter((m) => m.id === id);
    expect(stored).toEqual([original]);
  });

  it('R24: history pages back with before and limit, oldest first', async () => {
    const other = await createConversation(server.url, alice.cookie, 'Paging');
    const posted = [];
    for (let i = 0; i < 5; i++) {
      posted.push(await postMessage(server.url, alice.cookie, { conversationId: other.id, text: `n${i}` }));
    }
    const all = await listMessages(server.url, alice.cookie, other.id);
    expect(all.map((m) => m.text)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    const last2 = await api(server.url, `/api/conversations/${other.id}/messages?limit=2`, {
      cookie: alice.cookie
    });
    expect(last2.body.messages.map((m: { text: string }) => m.text)).toEqual(['n3', 'n4']);
    // `before` is exclusive: strictly older than the given time.
    const cursor = posted[4].createdAt;
    const older = await api(
      server.url,
      `/api/conversations/${other.id}/messages?before=${cursor}&limit=100`,
      {
        cookie: alice.cookie
      }
    );
    const olderTexts = older.body.messages.map((m: { text: string }) => m.text);
    expect(olderTexts).not.toContain('n4');
    expect(older.body.messages.every((m: { createdAt: number }) => m.createdAt < cursor)).toBe(true);
  });

  it('R25: a post naming another author than the signed-in user is refused with 409 and stores nothing; its own author is fine', async () => {
    const id = newMessageId();
    const refused = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: bob.cookie,
      body: { id, text: 'queued by alice', authorId: alice.user.id }
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/^You are signed in as someone else in another tab\./);
    const listed = await listMessages(server.url, alice.cookie, conversation.id);
    expect(listed.map((m) => m.id)).not.toContain(id);

    const accepted = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: alice.cookie,
      body: { id, text: 'queued by alice', authorId: alice.user.id }
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.message).toMatchObject({ id, authorId: alice.user.id });
  });

  it('R24: chat history survives a server restart', async () => {
    const before = await listMessages(server.url, alice.cookie, conversation.id);
    expect(before.length).toBeGreaterThan(3);
    await server.restart();
    // Sessions are stored too, so the same cookies still work after the restart.
    const after = await listMessages(server.url, alice.cookie, conversation.id);
    expect(after).toEqual(before);
    // And a retry of an id stored before the restart still adds nothing (R22).
    const retry = await api(server.url, messagesPath(), {
      method: 'POST',
      cookie: bob.cookie,
      body: { id: 'msg-bob-0001', text: 'Hello everyone' }
    });
    expect(retry.status).toBe(200);
    expect(await listMessages(server.url, alice.cookie, conversation.id)).toHaveLength(before.length);
  });
});

describe('REST: chat history pages', () => {
  let server: TestServer;
  afterAll(async () => {
    await server.cleanup();
  });

  it('R26: paging back by the oldest message seen (beforeId) skips none of the messages that share a time', async () => {
    // A clock that stands still: every message gets the same server time.
    server = await startTestServer({ now: () => 1_700_000_000_000 });
    const alice = await signUp(server.url, 'alice', { displayName: 'Alice' });
    const conversation = await createConversation(server.url, alice.cookie, 'Same time');
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) {
      posted.push(
        (await postMessage(server.url, alice.cookie, { conversationId: conversation.id, text: `t${i}` })).id
      );
    }
    const path = `/api/conversations/${conversation.id}/messages`;
    const seen: string[] = [];
    let page = (await api(server.url, `${path}?limit=2`, { cookie: alice.cookie })).body.messages;
    while (page.length > 0) {
      seen.unshift(...page.map((m: { id: string }) => m.id));
      const next = await api(server.url, `${path}?limit=2&beforeId=${page[0].id}`, { cookie: alice.cookie });
      expect(next.status).toBe(200);
      page = next.body.messages;
    }
    expect(seen).toEqual(posted);
    const bad = await api(server.url, `${path}?beforeId=not%20an%20id`, { cookie: alice.cookie });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/beforeId/);
  });
});
