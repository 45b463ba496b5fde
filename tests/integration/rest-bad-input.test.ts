import { asConversationId, asUserId } from '../../src/lib/domain/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createConversation,
  createInvite,
  joinAsAccount,
  listMessages,
  postMessage,
  signUp,
  type Actor,
  type ConversationJson,
  type MessageJson
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * SPEC R30/R31: every endpoint refuses invalid JSON and each missing or malformed field with 400 and a
 * sentence; unknown routes 404, wrong methods 405, big bodies 413. After every refusal the server still
 * answers and what was stored is unchanged.
 */
describe('REST: bad input', () => {
  let server: TestServer;
  let alice: Actor;
  let bob: Actor;
  let conversation: ConversationJson;
  let inviteToken: string;
  let storedMessages: MessageJson[];
  let storedDetail: unknown;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url, 'alice');
    bob = await signUp(server.url, 'bob');
    conversation = await createConversation(server.url, alice.cookie, 'Planning');
    inviteToken = (await createInvite(server.url, alice.cookie, conversation.id)).token;
    await joinAsAccount(server.url, bob.cookie, inviteToken);
    await postMessage(server.url, alice.cookie, { conversationId: conversation.id, text: 'first message' });
    storedMessages = await listMessages(server.url, alice.cookie, conversation.id);
    storedDetail = (await api(server.url, `/api/conversations/${conversation.id}`, { cookie: alice.cookie }))
      .body;
  });
  afterAll(async () => {
    await server.cleanup();
  });

  /** The server carries on and nothing stored changed (SPEC R30). */
  async function expectServerIntact(): Promise<void> {
    const me = await api(server.url, '/api/me', { cookie: alice.cookie });
    expect(me.status).toBe(200);
    expect(await listMessages(server.url, alice.cookie, conversation.id)).toEqual(storedMessages);
    const detail = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: alice.cookie });
    expect(detail.body).toEqual(storedDetail);
    expect((await server.persistence.getUserSecretByUsername('alice'))?.user.id).toBe(alice.user.id);
  }

  function expectReadableError(body: unknown, pattern?: RegExp): void {
    expect(body).toEqual({ error: expect.any(String) });
    const error = (body as { error: string }).error;
    // A sentence: starts with a capital letter or a quote, ends with a full stop.
    expect(error).toMatch(/^[A-Z“].{8,}\.$/s);
    expect(error).not.toMatch(/Invalid (key|type|input)|Expected|Received|undefined|SyntaxError/);
    if (pattern) expect(error).toMatch(pattern);
  }

  interface Endpoint {
    name: string;
    method: 'POST' | 'PUT';
    path: () => string;
    /** Who calls it: a real caller, so that a 400 can only come from the body itself. */
    cookie: () => string | undefined;
    cases: Array<[label: string, body: unknown, error?: RegExp]>;
  }

  const notJson: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '{"oops": ', /not valid JSON/],
    ['an empty body', '', /no body/],
    ['a JSON string instead of an object', '"hello"', /JSON object/],
    ['JSON null', 'null', /JSON object/],
    ['a JSON number', '42', /JSON object/],
    ['a JSON list', '[{}]', /JSON object/]
  ];

  const endpoints: Endpoint[] = [
    {
      name: 'POST /api/auth/signup',
      method: 'POST',
      path: () => '/api/auth/signup',
      cookie: () => undefined,
      cases: [
        ...notJson,
        ['missing username', { password: 'long-enough-password' }, /username/],
        ['username too short', { username: 'ab', password: 'long-enough-password' }, /3–32 characters/],
        [
          'username with spaces',
          { username: 'alice smith', password: 'long-enough-password' },
          /3–32 characters/
        ],
        [
          'username too long',
          { username: 'a'.repeat(33), password: 'long-enough-password' },
          /3–32 characters/
        ],
        ['username a number', { username: 12345, password: 'long-enough-password' }, /username/],
        ['missing password', { username: 'newbie' }, /at least 8 characters/],
        ['password too short', { username: 'newbie', password: 'short' }, /at least 8 characters/],
        ['password too long', { username: 'newbie', password: 'x'.repeat(201) }, /at most 200 characters/],
        ['password an array', { username: 'newbie', password: ['long-enough-password'] }, /at least 8/],
        [
          'blank display name',
          { username: 'newbie', password: 'long-enough-password', displayName: '   ' },
          /display name/
        ],
        [
          'display name too long',
          { username: 'newbie', password: 'long-enough-password', displayName: 'd'.repeat(65) },
          /at most 64/
        ],
        [
          'display name null',
          { username: 'newbie', password: 'long-enough-password', displayName: null },
          /display name/
        ]
      ]
    },
    {
      name: 'POST /api/auth/signin',
      method: 'POST',
      path: () => '/api/auth/signin',
      cookie: () => undefined,
      cases: [
        ...notJson,
        ['missing username', { password: 'whatever-password' }, /username/],
        ['empty username', { username: '', password: 'whatever-password' }, /username/],
        ['missing password', { username: 'alice' }, /password/],
        ['password a number', { username: 'alice', password: 12345678 }, /password/]
      ]
    },
    {
      name: 'POST /api/conversations',
      method: 'POST',
      path: () => '/api/conversations',
      cookie: () => alice.cookie,
      cases: [
        ...notJson,
        ['missing title', {}, /title/],
        ['blank title', { title: '   ' }, /title/],
        ['title too long', { title: 't'.repeat(101) }, /at most 100/],
        ['title an object', { title: { text: 'x' } }, /title/]
      ]
    },
    {
      name: 'POST /api/invites/:token/guest',
      method: 'POST',
      path: () => `/api/invites/${inviteToken}/guest`,
      cookie: () => undefined,
      cases: [
        ...notJson,
        ['missing display name', {}, /display name/],
        ['blank display name', { displayName: ' \t ' }, /display name/],
        ['display name too long', { displayName: 'g'.repeat(65) }, /at most 64/],
        ['display name a number', { displayName: 7 }, /display name/]
      ]
    },
    {
      name: 'PUT /api/conversations/:id/members/:userId/role',
      method: 'PUT',
      path: () => `/api/conversations/${conversation.id}/members/${bob.user.id}/role`,
      cookie: () => alice.cookie,
      cases: [
        ...notJson,
        ['missing role', {}, /moderator.*participant/],
        ['role owner', { role: 'owner' }, /moderator.*participant/],
        ['role guest', { role: 'guest' }, /moderator.*participant/],
        ['role in capitals', { role: 'MODERATOR' }, /moderator.*participant/],
        ['role a number', { role: 1 }, /moderator.*participant/]
      ]
    },
    {
      name: 'POST /api/conversations/:id/messages',
      method: 'POST',
      path: () => `/api/conversations/${conversation.id}/messages`,
      cookie: () => alice.cookie,
      cases: [
        ...notJson,
        ['missing id', { text: 'hello' }, /id/],
        ['id too short', { id: 'abc', text: 'hello' }, /id/],
        ['id with a slash', { id: 'abcdefgh/ij', text: 'hello' }, /id/],
        ['id a number', { id: 123456789, text: 'hello' }, /id/],
        ['missing text', { id: 'msg-missing-text' }, /text/],
        ['text a number', { id: 'msg-number-text', text: 42 }, /text/],
        ['empty text', { id: 'msg-empty-text', text: '' }, /Empty messages/],
        ['whitespace text', { id: 'msg-blank-text', text: ' \n\t ' }, /Empty messages/],
        ['room with a slash', { id: 'msg-room-slash', text: 'hello', room: 'a/b' }, /room/],
        ['room a number', { id: 'msg-room-number', text: 'hello', room: 7 }, /room/],
        ['room empty', { id: 'msg-room-empty', text: 'hello', room: '' }, /room/]
      ]
    },
    {
      name: 'POST /api/conversations/:id/breakout/choose',
      method: 'POST',
      path: () => `/api/conversations/${conversation.id}/breakout/choose`,
      cookie: () => bob.cookie,
      cases: [
        ...notJson,
        ['missing roomId', {}, /Choose a room/],
        ['roomId a number', { roomId: 12345678 }, /Choose a room/],
        ['roomId with a slash', { roomId: 'room/00001' }, /Choose a room/]
      ]
    },
    {
      name: 'POST /api/conversations/:id/breakout/broadcast',
      method: 'POST',
      path: () => `/api/conversations/${conversation.id}/breakout/broadcast`,
      cookie: () => alice.cookie,
      cases: [
        ...notJson,
        ['missing id', { text: 'hello rooms' }, /id/],
        ['missing text', { id: 'bcast-missing-text' }, /text/],
        ['whitespace text', { id: 'bcast-blank-text', text: '  ' }, /Empty messages/],
        ['text too long', { id: 'bcast-long-text', text: 'x'.repeat(32_001) }, /limit is 32,000/]
      ]
    }
  ];

  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const [label, body, pattern] of endpoint.cases) {
        it(`R30: ${label} → 400 with a readable error`, async () => {
          const answer = await api(server.url, endpoint.path(), {
            method: endpoint.method,
            cookie: endpoint.cookie(),
            body
          });
          expect(answer.status).toBe(400);
          expectReadableError(answer.body, pattern);
          expect(answer.setCookie).toEqual([]);
          await expectServerIntact();
        });
      }
    });
  }

  describe('GET /api/conversations/:id/messages', () => {
    for (const query of [
      'limit=0',
      'limit=abc',
      'limit=1001',
      'limit=2.5',
      'before=-1',
      'before=yesterday',
      'room=a%2Fb',
      'room='
    ]) {
      it(`R30: ?${query} → 400 with a readable error`, async () => {
        const answer = await api(server.url, `/api/conversations/${conversation.id}/messages?${query}`, {
          cookie: alice.cookie
        });
        expect(answer.status).toBe(400);
        expectReadableError(answer.body, query.startsWith('room') ? /room/ : /whole number/);
        await expectServerIntact();
      });
    }
  });

  it('R30: no bad input created a user, a conversation or a message', async () => {
    expect(await server.persistence.getUserSecretByUsername('newbie')).toBeNull();
    expect((await server.persistence.listConversationsForUser(asUserId(alice.user.id))).length).toBe(1);
    expect(await server.persistence.listMembers(asConversationId(conversation.id))).toHaveLength(2);
    await expectServerIntact();
  });

  it('R31: unknown routes answer 404 with a readable error', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['POST', '/api/conversations/x/y/z'],
      ['GET', '/api'],
      ['DELETE', '/api/auth']
    ]) {
      const answer = await api(server.url, path, { method });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expectReadableError(answer.body, /no API endpoint/);
    }
    await expectServerIntact();
  });

  it('R31: a known route with the wrong method answers 405 and says which methods work', async () => {
    const answer = await api(server.url, '/api/auth/signup', { method: 'GET' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
    expectReadableError(answer.body, /Use POST/);
    const del = await api(server.url, `/api/conversations/${conversation.id}/messages`, {
      method: 'DELETE',
      cookie: alice.cookie
    });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('POST, GET');
    await expectServerIntact();
  });

  it('R31: a body over 256 KiB answers 413 and stores nothing', async () => {
    const text = 'x'.repeat(256 * 1024);
    const answer = await api(server.url, `/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      cookie: alice.cookie,
      body: { id: 'msg-too-large-body', text }
    });
    expect(answer.status).toBe(413);
    expectReadableError(answer.body, /256 KiB/);
    await expectServerIntact();
  });

  it('R31: a body just under 256 KiB is read (and then judged on its content)', async () => {
    const answer = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: alice.cookie,
      body: { title: 'y'.repeat(255 * 1024) }
    });
    expect(answer.status).toBe(400);
    expectReadableError(answer.body, /at most 100/);
  });

  it('R30: a request from another website (foreign Origin) is refused with 403', async () => {
    const answer = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: alice.cookie,
      body: { title: 'Cross-site' },
      headers: { origin: 'https://evil.example' }
    });
    expect(answer.status).toBe(403);
    expectReadableError(answer.body, /another website/);
    // The same request from our own origin goes through.
    const own = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: bob.cookie,
      body: { title: 'Same site' },
      headers: { origin: server.url.replace('localhost', '127.0.0.1') }
    });
    expect(own.status).toBe(201);
    expect((await server.persistence.listConversationsForUser(asUserId(alice.user.id))).length).toBe(1);
    await expectServerIntact();
  });

  it('R30: reading is not Origin-checked (GET from another origin still answers)', async () => {
    const answer = await api(server.url, '/api/me', {
      cookie: alice.cookie,
      headers: { origin: 'https://evil.example' }
    });
    expect(answer.status).toBe(200);
  });

  it('R13: an upgrade outside /ws/ answers 404 and closes the socket', async () => {
    const { WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${server.wsUrl.replace(/\/ws$/, '')}/api/me`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('upgrade accepted')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(404);
    await expectServerIntact();
  });
});
