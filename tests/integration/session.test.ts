/**
 * Breakout sessions over the real server (SPEC R70–R81): moderators start, extend and end them in the
 * control document; participants' intents are checked by the server, which writes the result; the
 * server's clock is injected so a timer can run out with nobody online.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { asConversationId, asUserId, type RoomId } from '../../src/lib/domain/ids';
import { ROOM_POST_GRACE_MS, getClosedAt, getLocation, getSessionPhase } from '../../src/lib/domain/session';
import {
  addRoom,
  assignParticipants,
  createRooms,
  endSession,
  extendTimer,
  readBreakoutState,
  readHelpRequests,
  readReturned,
  readSession,
  removeRoom,
  setMode,
  setSeatCap,
  startSession
} from '../../src/lib/sync/control';
import { readChatMessages } from '../../src/lib/sync/schema';
import { api, createInvite, joinAsAccount, newMessageId, setRole, signUp, waitFor } from '../helpers/api';
import { getBreakoutMembers, participantsOf, viewOf, waitForSameState } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  createPersistenceGate,
  listRoomMessages,
  postInRoom,
  readServerControl,
  roomChatOf,
  sendIntent,
  waitForServerControl
} from '../helpers/session';
import { tryUpgrade } from '../helpers/yclient';
import { castConversation, createClientPool, readStoredDoc, type Cast } from './syncFixture';

let server: TestServer;
/** The server's clock (startServer's `now`); tests only move it forward. */
let clock = Date.now();
const pool = createClientPool(() => server);
/** Holds storage calls for the race tests; passes everything straight through otherwise. */
const gate = createPersistenceGate();

beforeAll(async () => {
  server = await startTestServer({ now: () => clock, wrapPersistence: gate.wrap });
});
afterEach(() => pool.destroyAll());
afterAll(async () => {
  await server.cleanup();
});

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

const MINUTE = 60_000;
/** The refusal of a room post once the posting grace after the session's end is over (R73). */
const SESSION_ENDED =
  'This breakout session has ended, so the room no longer takes messages. Post in the main room instead.';

/**
 * A cast with alice's control replica synced, `count` rooms in `mode`, and carol in room 1, bob and
 * dave in room 2 (manual placement, so tests know who is where).
 */
async function setUp({ count = 2, mode = 'manual' as const } = {}) {
  const cast = await castConversation(server);
  const alice = pool.connect(cast.alice, cast.controlDoc);
  await alice.whenSynced();
  const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
  const participants = participantsOf(members);
  const rooms = ok(createRooms(alice.doc, { count, mode: mode as 'manual' }));
  const who = {
    bob: asUserId(cast.bob.user.id),
    carol: asUserId(cast.carol.user.id),
    dave: asUserId(cast.dave.user.id)
  };
  if (mode === 'manual') {
    ok(assignParticipants(alice.doc, { userIds: [who.carol], roomId: rooms[0], participants, now: 1 }));
    ok(
      assignParticipants(alice.doc, { userIds: [who.bob, who.dave], roomId: rooms[1], participants, now: 2 })
    );
  }
  await waitForServerControl(
    server,
    cast.conversationId,
    (doc) => viewOf(doc, members).rooms.length === count
  );
  await waitForSameState(
    [alice.doc, pool.connect(cast.alice, cast.controlDoc).doc],
    'the setup at the server'
  );
  return { cast, alice, members, participants, rooms, who };
}

async function startAt(
  alice: { doc: Y.Doc },
  cast: Cast,
  options: Partial<Parameters<typeof startSession>[1]> = {}
) {
  const session = ok(
    startSession(alice.doc, {
      timerMinutes: null,
      moveAutomatically: true,
      allowReturn: false,
      now: clock,
      actor: 'alice',
      ...options
    })
  );
  await waitForServerControl(
    server,
    cast.conversationId,
    (doc) => readSession(doc)?.runId === session.runId,
    'the session at the server'
  );
  return session;
}

/** The control document as a fresh client reads it from the server. */
async function freshControl(cast: Cast, actor = cast.bob) {
  const client = pool.connect(actor, cast.controlDoc);
  await client.whenSynced();
  return client.doc;
}

const stateVector = (cast: Cast) =>
  readServerControl(server, cast.conversationId, (doc) =>
    Buffer.from(Y.encodeStateVector(doc)).toString('hex')
  );

describe('starting, extending and ending', () => {
  it('R70 R71 R72: moderators start, extend and end; every replica derives the same phase', async () => {
    const { cast, alice } = await setUp();
    const session = await startAt(alice, cast, { timerMinutes: 10, closingSeconds: 10 });
    const bob = await freshControl(cast);
    expect(readSession(bob)).toEqual(session);
    expect(getSessionPhase({ session: readSession(bob), now: clock })).toMatchObject({
      kind: 'running',
      remainingMs: 10 * MINUTE
    });

    ok(extendTimer(alice.doc, { minutes: 5, now: clock }));
    await waitFor(() => readSession(bob)?.endsAt === session.startedAt + 15 * MINUTE, {
      what: 'the extension at bob'
    });
    ok(endSession(alice.doc, { closingSeconds: 10, now: clock + 1000 }));
    await waitFor(() => readSession(bob)?.closingAt === clock + 1000, { what: 'the end at bob' });
    expect(getSessionPhase({ session: readSession(bob), now: clock + 5000 })).toMatchObject({
      kind: 'closing',
      remainingMs: 6000
    });
    expect(getSessionPhase({ session: readSession(bob), now: clock + 11_000 })).toEqual({ kind: 'idle' });
  });

  it('R70 R12: a participant’s crafted session start is refused with 4403 and stored nowhere', async () => {
    const { cast, alice } = await setUp();
    const carol = pool.connect(cast.carol, cast.controlDoc);
    await waitForSameState([alice.doc, carol.doc], 'the setup at carol');
    ok(
      startSession(carol.doc, {
        timerMinutes: 5,
        moveAutomatically: true,
        allowReturn: true,
        now: clock
      })
    );
    expect((await carol.closedEvent()).code).toBe(4403);
    expect(readSession(await freshControl(cast, cast.dave))).toBeNull();
    expect(readSession((await readStoredDoc(server, cast.controlDoc)).doc)).toBeNull();
    const help = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'help');
    expect(help.status).toBe(409);
  });

  it('R71 R72: the timer ends the session with the moderator offline; the server’s intents and a fresh client agree', async () => {
    const { cast, alice, rooms } = await setUp();
    await startAt(alice, cast, { timerMinutes: 1 });
    // While it runs, carol can ask for help: the refusal below is the timer's doing.
    const asked = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'help');
    expect(asked.status).toBe(201);
    expect(asked.body.request).toMatchObject({ roomId: rooms[0], since: clock });
    alice.destroy();

    clock += 1 * MINUTE + 30_000; // inside the default 60 s closing countdown
    // Closing: new requests are refused as such, while the room chat still takes posts until it closes.
    const during = await sendIntent(server, cast.bob.cookie, cast.conversationId, 'help');
    expect(during.status).toBe(409);
    expect(during.body).toEqual({ error: expect.stringMatching(/closing/) });
    const lastWord = await postInRoom(
      server,
      cast.carol.cookie,
      cast.conversationId,
      rooms[0],
      'wrapping up'
    );
    expect(lastWord.status).toBe(201);
    clock += 31_000;
    const after = await sendIntent(server, cast.dave.cookie, cast.conversationId, 'help');
    expect(after.status).toBe(409);
    expect(after.body).toEqual({ error: expect.stringMatching(/No breakout session is running/) });
    // R73: the rooms have closed; carol, who was in hers at the end, still gets a late word in for a while.
    const posted = await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'still here?');
    expect(posted.status).toBe(201);
    const closedAt = getClosedAt(await readServerControl(server, cast.conversationId, readSession))!;
    clock = closedAt + ROOM_POST_GRACE_MS;
    const tooLate = await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'hello?');
    expect(tooLate).toEqual(expect.objectContaining({ status: 403, body: { error: SESSION_ENDED } }));

    const fresh = await freshControl(cast, cast.carol);
    expect(getSessionPhase({ session: readSession(fresh), now: clock })).toEqual({ kind: 'idle' });
    // R73: rooms and assignments stay.
    const members = await getBreakoutMembers(server.url, cast.carol.cookie, cast.conversationId);
    expect(viewOf(fresh, members).roomOf.get(asUserId(cast.carol.user.id))).toBe(rooms[0]);
  });
});

describe('participants’ intents', () => {
  it('R78: two people taking the last seat at once: exactly one gets it, the other is told the room is full', async () => {
    const { cast, alice, members, rooms, who } = await setUp({ mode: 'choose' as never });
    ok(setSeatCap(alice.doc, { roomId: rooms[0], seatCap: 2 }));
    await waitForServerControl(server, cast.conversationId, (doc) =>
      viewOf(doc, members).rooms.some((r) => r.seatCap === 2)
    );
    await startAt(alice, cast);
    const first = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'choose', {
      roomId: rooms[0]
    });
    expect(first).toMatchObject({ status: 200, body: { roomId: rooms[0] } });

    const [bob, dave] = await Promise.all([
      sendIntent(server, cast.bob.cookie, cast.conversationId, 'choose', { roomId: rooms[0] }),
      sendIntent(server, cast.dave.cookie, cast.conversationId, 'choose', { roomId: rooms[0] })
    ]);
    expect([bob.status, dave.status].sort()).toEqual([200, 409]);
    const loser = bob.status === 409 ? bob : dave;
    expect(loser.body).toEqual({ error: '“Room 1” is full (2 of 2 seats). Choose another room.' });
    const fresh = await freshControl(cast);
    const view = viewOf(fresh, members);
    expect(view.rooms[0].members).toHaveLength(2);
    expect(view.rooms[0].members).toContain(who.carol);

    // Switching frees the old seat (R78): carol moves on, the one who was refused gets in.
    const moved = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'choose', {
      roomId: rooms[1]
    });
    expect(moved.status).toBe(200);
    const retry = await sendIntent(
      server,
      loser === bob ? cast.bob.cookie : cast.dave.cookie,
      cast.conversationId,
      'choose',
      {
        roomId: rooms[0]
      }
    );
    expect(retry.status).toBe(200);
    await waitFor(() => viewOf(fresh, members).roomOf.get(who.carol) === rooms[1], {
      what: 'carol’s switch'
    });
    expect(viewOf(fresh, members).rooms.map((r) => r.members.length)).toEqual([2, 1]);
  });

  it('R77: bad intents are refused with a sentence and change nothing', async () => {
    const { cast, alice, rooms } = await setUp();
    const other = await setUp();
    const outsider = await signUp(server.url, `outsider${Date.now() % 1e6}`);
    const id = cast.conversationId;
    const refused = async (
      answer: Promise<{ status: number; body: unknown }>,
      status: number,
      pattern: RegExp
    ) => {
      const { status: got, body } = await answer;
      expect({ got, body }).toEqual({ got: status, body: { error: expect.stringMatching(pattern) } });
    };

    // No session running.
    const idle = await stateVector(cast);
    await refused(sendIntent(server, cast.carol.cookie, id, 'help'), 409, /No breakout session/);
    await refused(sendIntent(server, cast.carol.cookie, id, 'return'), 409, /No breakout session/);
    await refused(sendIntent(server, cast.carol.cookie, id, 'rejoin'), 409, /No breakout session/);
    await refused(
      sendIntent(server, cast.carol.cookie, id, 'choose', { roomId: rooms[1] }),
      409,
      /No breakout session/
    );
    expect(await stateVector(cast)).toBe(idle);

    // A timer out of range never starts a session (R71).
    for (const timerMinutes of [0, 241]) {
      const attempt = startSession(alice.doc, {
        timerMinutes,
        moveAutomatically: true,
        allowReturn: false,
        now: clock
      });
      expect(attempt).toEqual({ ok: false, error: expect.stringMatching(/1 to 240 minutes/) });
    }
    expect(readSession(alice.doc)).toBeNull();

    await startAt(alice, cast);
    const running = await stateVector(cast);
    // Choosing outside "choose" mode, an unknown room, a room of another conversation, a moderator.
    await refused(sendIntent(server, cast.carol.cookie, id, 'choose', { roomId: rooms[1] }), 409, /choose/);
    ok(setMode(alice.doc, { mode: 'choose' }));
    await waitForServerControl(server, id, (doc) => doc.getMap('settings').get('mode') === 'choose');
    const inChoose = await stateVector(cast);
    await refused(
      sendIntent(server, cast.carol.cookie, id, 'choose', { roomId: 'NoSuchRoom01' }),
      404,
      /does not exist/
    );
    await refused(
      sendIntent(server, cast.carol.cookie, id, 'choose', { roomId: other.rooms[0] }),
      404,
      /does not exist/
    );
    await refused(sendIntent(server, cast.carol.cookie, id, 'choose', {}), 400, /Choose a room/);
    await refused(
      sendIntent(server, cast.carol.cookie, id, 'choose', { roomId: 'a b' }),
      400,
      /Choose a room/
    );
    await refused(
      sendIntent(server, cast.alice.cookie, id, 'choose', { roomId: rooms[0] }),
      403,
      /Moderators/
    );
    // Non-members and strangers, for every intent.
    for (const intent of ['choose', 'help', 'withdraw', 'return', 'rejoin'] as const) {
      await refused(
        sendIntent(
          server,
          outsider.cookie,
          id,
          intent,
          intent === 'choose' ? { roomId: rooms[0] } : undefined
        ),
        403,
        /not a member/
      );
      expect(
        (await sendIntent(server, '', id, intent, intent === 'choose' ? { roomId: rooms[0] } : undefined))
          .status
      ).toBe(401);
      expect(
        (
          await sendIntent(
            server,
            cast.carol.cookie,
            'NoSuchConversation1',
            intent,
            intent === 'choose' ? { roomId: rooms[0] } : undefined
          )
        ).status
      ).toBe(404);
    }
    // Going back to the main room when the session does not allow it.
    await refused(sendIntent(server, cast.carol.cookie, id, 'return'), 403, /not allowed/);
    // Posting in a room one is not in, or that is not this conversation's.
    await refused(
      postInRoom(server, cast.carol.cookie, id, rooms[1], 'hello'),
      403,
      /^You are not in this room\.$/
    );
    await refused(postInRoom(server, cast.carol.cookie, id, other.rooms[0], 'hello'), 404, /does not exist/);
    expect(await stateVector(cast)).toBe(inChoose);
    expect(running).not.toBe(inChoose);
  });

  it('R75 R80: help requests name who and where; back to the main room and rejoining, when allowed', async () => {
    const { cast, alice, members, rooms, who } = await setUp();
    await startAt(alice, cast, { allowReturn: true });
    const asked = await sendIntent(server, cast.dave.cookie, cast.conversationId, 'help');
    expect(asked.status).toBe(201);
    await waitFor(() => readHelpRequests(alice.doc).length === 1, { what: 'the request at alice' });
    expect(readHelpRequests(alice.doc)).toEqual([{ userId: who.dave, roomId: rooms[1], since: clock }]);
    expect((await sendIntent(server, cast.dave.cookie, cast.conversationId, 'withdraw')).status).toBe(204);
    await waitFor(() => readHelpRequests(alice.doc).length === 0, { what: 'the withdrawal at alice' });

    expect((await sendIntent(server, cast.carol.cookie, cast.conversationId, 'return')).status).toBe(200);
    await waitFor(() => readReturned(alice.doc).has(who.carol), { what: 'carol back in main' });
    const where = () =>
      getLocation({
        phase: getSessionPhase({ session: readSession(alice.doc), now: clock }),
        roomOf: viewOf(alice.doc, members).roomOf,
        returned: readReturned(alice.doc),
        userId: who.carol
      });
    expect(where()).toBeNull();
    expect((await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'hi')).status).toBe(
      403
    );
    expect((await sendIntent(server, cast.carol.cookie, cast.conversationId, 'help')).status).toBe(409);
    const back = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'rejoin');
    expect(back).toMatchObject({ status: 200, body: { roomId: rooms[0] } });
    await waitFor(() => where() === rooms[0], { what: 'carol in her room again' });
    expect((await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'hi')).status).toBe(
      201
    );
  });
});

describe('broadcast', () => {
  it('R79: one broadcast shows once in every room’s chat and history, also when retried; moderators only', async () => {
    const { cast, alice, rooms } = await setUp({ count: 3 });
    await startAt(alice, cast);
    const chats = rooms.map((room) => pool.connect(cast.alice, roomChatOf(cast.conversationId, room)));
    await Promise.all(chats.map((c) => c.whenSynced()));
    const id = newMessageId();
    const body = { id, text: '  Five minutes left  ' };
    const sent = await sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body);
    expect(sent.status).toBe(201);
    expect(sent.body.messages).toHaveLength(3);
    const retried = await sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body);
    expect(retried.status).toBe(201);
    for (const chat of chats) {
      await waitFor(() => readChatMessages(chat.doc).length === 1, { what: 'the broadcast in a room' });
    }
    // The server's own copies too: the retry added nothing anywhere.
    for (const room of rooms) {
      const stored = await server.sync.readDoc(roomChatOf(cast.conversationId, room), readChatMessages);
      expect(stored).toHaveLength(1);
    }
    for (const [i, chat] of chats.entries()) {
      expect(readChatMessages(chat.doc)).toEqual([
        expect.objectContaining({ text: 'Five minutes left', authorName: 'Alice', broadcast: true })
      ]);
      const history = await listRoomMessages(server, cast.alice.cookie, cast.conversationId, rooms[i]);
      expect(history.body.messages).toEqual([
        expect.objectContaining({ text: 'Five minutes left', broadcast: true })
      ]);
    }
    const carolHistory = await listRoomMessages(server, cast.carol.cookie, cast.conversationId, rooms[0]);
    expect(carolHistory.body.messages).toHaveLength(1);
  });

  it('R79 R22: the same id sent by another moderator is refused (409) and adds nothing anywhere', async () => {
    const { cast, alice, rooms } = await setUp();
    await startAt(alice, cast);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const body = { id: newMessageId(), text: 'Halfway' };
    expect((await sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body)).status).toBe(
      201
    );
    const clash = await sendIntent(server, cast.bob.cookie, cast.conversationId, 'broadcast', {
      ...body,
      text: 'Something else'
    });
    expect(clash).toMatchObject({ status: 409, body: { error: expect.stringMatching(/new id/) } });
    for (const room of rooms) {
      const history = await listRoomMessages(server, cast.alice.cookie, cast.conversationId, room);
      expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['Halfway']);
      const doc = await server.sync.readDoc(roomChatOf(cast.conversationId, room), readChatMessages);
      expect(doc.map((m) => m.text)).toEqual(['Halfway']);
    }
  });

  it('R79 R30: empty, too long, from a participant, or with no rooms: refused and nothing is written', async () => {
    const { cast, alice, rooms } = await setUp();
    await startAt(alice, cast);
    const send = (cookie: string, body: unknown, id = cast.conversationId) =>
      sendIntent(server, cookie, id, 'broadcast', body);
    expect((await send(cast.alice.cookie, { id: newMessageId(), text: '   ' })).status).toBe(400);
    const long = await send(cast.alice.cookie, { id: newMessageId(), text: 'x'.repeat(32_001) });
    expect(long).toMatchObject({ status: 400, body: { error: expect.stringMatching(/32,001 characters/) } });
    expect((await send(cast.alice.cookie, { text: 'no id' })).status).toBe(400);
    expect((await send(cast.carol.cookie, { id: newMessageId(), text: 'hi' })).status).toBe(403);
    const bare = await castConversation(server);
    const none = await send(bare.alice.cookie, { id: newMessageId(), text: 'hello?' }, bare.conversationId);
    expect(none).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no breakout rooms/) } });
    for (const room of rooms) {
      const history = await listRoomMessages(server, cast.alice.cookie, cast.conversationId, room);
      expect(history.body.messages).toEqual([]);
    }
  });

  it('R79 R60: a broadcast cut off by a restart is completed by its retry in the rooms it first went to, not in a room added since nor one removed since', async () => {
    const { cast, alice, rooms } = await setUp({ count: 3 });
    await startAt(alice, cast);
    const chatOf = (room: string) => roomChatOf(cast.conversationId, room);
    const body = { id: newMessageId(), text: 'Two minutes left' };
    // The broadcast stops at the second room's chat document: shutdown begins while it loads.
    const releaseLoad = gate.hold('loadUpdates', (name) => name === chatOf(rooms[1]));
    const first = sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body).catch(
      () => null
    );
    await waitFor(() => gate.waiting('loadUpdates') > 0, { what: 'the broadcast at the second room' });
    alice.destroy();
    const restarted = server.restart();
    releaseLoad();
    const cut = await first;
    expect(cut === null || cut.status === 503, `answer ${cut?.status}`).toBe(true);
    await restarted;

    // Meanwhile a moderator adds a room and removes the first one.
    const moderator = pool.connect(cast.alice, cast.controlDoc);
    await moderator.whenSynced();
    const added = ok(addRoom(moderator.doc, {}));
    ok(removeRoom(moderator.doc, { roomId: rooms[0] }));
    await waitForServerControl(server, cast.conversationId, (doc) => {
      const ids = readBreakoutState(doc).rooms.map((room) => room.id);
      return ids.includes(added) && !ids.includes(rooms[0]);
    });

    const retried = await sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body);
    expect(retried.status).toBe(201);
    expect(retried.body.messages.map((m: { room: string }) => m.room)).toEqual([rooms[1], rooms[2]]);
    const again = await sendIntent(server, cast.alice.cookie, cast.conversationId, 'broadcast', body);
    expect(again.status).toBe(201);

    const inDoc = async (room: string) =>
      (await server.sync.readDoc(chatOf(room), readChatMessages)).map((m) => m.text);
    const inTable = async (room: string) =>
      (await server.persistence.listMessages(asConversationId(cast.conversationId), room)).map((m) => m.text);
    // Once in each room it first went to (the removed room keeps its copy, R73), nowhere else.
    for (const room of rooms) {
      expect({ room, doc: await inDoc(room), table: await inTable(room) }).toEqual({
        room,
        doc: ['Two minutes left'],
        table: ['Two minutes left']
      });
    }
    expect({ doc: await inDoc(added), table: await inTable(added) }).toEqual({ doc: [], table: [] });
  });

  it('R79 R50: a broadcast under way when the rooms are deleted finishes first; the deletion then takes it, and no room chat comes back', async () => {
    const { cast, alice, rooms } = await setUp();
    await startAt(alice, cast);
    const id = cast.conversationId;
    const isBroadcast = (m: unknown) => (m as { broadcast?: boolean }).broadcast === true;
    // Hold the broadcast as it writes its rows, after it read the rooms.
    const releaseRow = gate.hold('appendMessage', (m) => isBroadcast(m));
    const releaseRows = gate.hold('appendMessages', (ms) => (ms as unknown[]).some(isBroadcast));
    const broadcast = sendIntent(server, cast.alice.cookie, id, 'broadcast', {
      id: newMessageId(),
      text: 'Wrap up'
    });
    await waitFor(() => gate.waiting('appendMessage') + gate.waiting('appendMessages') > 0, {
      what: 'the broadcast writing its rows'
    });
    const checksBefore = gate.calls('getMembership').length;
    const deletion = api(server.url, `/api/conversations/${id}/breakout`, {
      method: 'DELETE',
      cookie: cast.alice.cookie
    });
    // The moderator check is the deletion's last storage call before it starts; a deletion that does
    // not wait for the broadcast has cleared the setup one turn of the event loop later. Let such a
    // deletion finish before the broadcast goes on (the race this test is about); a waiting one waits.
    await waitFor(() => gate.calls('getMembership').length > checksBefore, {
      what: 'the deletion past its checks'
    });
    await new Promise((resolve) => setImmediate(resolve));
    const cleared = await readServerControl(server, id, (doc) => readBreakoutState(doc).rooms.length === 0);
    if (cleared) await deletion;
    releaseRow();
    releaseRows();
    const [sent, deleted] = await Promise.all([broadcast, deletion]);
    expect(sent.status).toBe(201);
    expect(deleted.status).toBe(204);

    const prefix = roomChatOf(id, 'main').slice(0, -'main'.length);
    const stored = await server.persistence.listDocNames(prefix);
    expect(stored.filter((name) => name !== `${prefix}main`)).toEqual([]);
    for (const room of rooms) {
      expect(await server.persistence.listMessages(asConversationId(id), room)).toEqual([]);
      expect(await server.sync.readDoc(roomChatOf(id, room), readChatMessages)).toEqual([]);
    }
    const after = await sendIntent(server, cast.alice.cookie, id, 'broadcast', {
      id: newMessageId(),
      text: 'Anyone?'
    });
    expect(after).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no breakout rooms/) } });
  });
});

describe('rooms, chats and the session', () => {
  it('R81: a room chat opens for its own members and the moderators, not for a participant of another room; a moved participant loses it', async () => {
    const { cast, alice, participants, rooms, who } = await setUp();
    const chat0 = roomChatOf(cast.conversationId, rooms[0]);
    const upgrade = (cookie: string, docName = chat0) => tryUpgrade({ baseUrl: server.url, docName, cookie });
    expect((await upgrade(cast.carol.cookie)).status).toBe(101);
    expect((await upgrade(cast.alice.cookie)).status).toBe(101);
    expect(await upgrade(cast.bob.cookie)).toEqual({
      status: 403,
      body: expect.stringMatching(/open to the people in that room/)
    });
    expect((await upgrade(cast.dave.cookie)).status).toBe(403);
    expect((await listRoomMessages(server, cast.bob.cookie, cast.conversationId, rooms[0])).status).toBe(403);
    expect((await listRoomMessages(server, cast.carol.cookie, cast.conversationId, rooms[0])).status).toBe(
      200
    );
    // The main chat stays everyone's.
    expect((await upgrade(cast.dave.cookie, roomChatOf(cast.conversationId, 'main'))).status).toBe(101);

    const carol = pool.connect(cast.carol, chat0);
    await carol.whenSynced();
    ok(assignParticipants(alice.doc, { userIds: [who.carol], roomId: rooms[1], participants, now: 5 }));
    expect(await carol.closedEvent()).toEqual({ code: 4401, reason: 'You are no longer in this room.' });
    expect((await upgrade(cast.carol.cookie, roomChatOf(cast.conversationId, rooms[1]))).status).toBe(101);
  });

  it('R76: a room removed while the session runs: its people are back in the main room and lose its chat', async () => {
    const { cast, alice, members, rooms, who } = await setUp();
    await startAt(alice, cast);
    const bobChat = pool.connect(cast.bob, roomChatOf(cast.conversationId, rooms[1]));
    await bobChat.whenSynced();
    ok(removeRoom(alice.doc, { roomId: rooms[1] }));
    expect((await bobChat.closedEvent()).code).toBe(4410);
    const fresh = await freshControl(cast, cast.dave);
    await waitFor(() => viewOf(fresh, members).rooms.length === 1, { what: 'the removal at dave' });
    const view = viewOf(fresh, members);
    expect(view.unassigned).toEqual(expect.arrayContaining([who.bob, who.dave]));
    const phase = getSessionPhase({ session: readSession(fresh), now: clock });
    for (const userId of [who.bob, who.dave]) {
      expect(getLocation({ phase, roomOf: view.roomOf, returned: readReturned(fresh), userId })).toBeNull();
    }
    expect(getLocation({ phase, roomOf: view.roomOf, returned: new Set(), userId: who.carol })).toBe(
      rooms[0]
    );
    const help = await sendIntent(server, cast.bob.cookie, cast.conversationId, 'help');
    expect(help).toMatchObject({ status: 409, body: { error: expect.stringMatching(/main room/) } });
  });

  it('R47 R81: someone joining a running automatic session is placed at once and can read their room’s chat', async () => {
    const { cast, alice } = await setUp({ mode: 'automatic' as never });
    await startAt(alice, cast, { timerMinutes: 30 });
    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const erin = await signUp(server.url, `erin${Date.now() % 1e6}`);
    await joinAsAccount(server.url, erin.cookie, invite.token);
    const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
    const fresh = await freshControl(cast, erin);
    const view = viewOf(fresh, members);
    const room = view.roomOf.get(asUserId(erin.user.id)) as RoomId;
    expect(room).toBeDefined();
    const phase = getSessionPhase({ session: readSession(fresh), now: clock });
    expect(
      getLocation({ phase, roomOf: view.roomOf, returned: new Set(), userId: asUserId(erin.user.id) })
    ).toBe(room);
    const chat = await tryUpgrade({
      baseUrl: server.url,
      docName: roomChatOf(cast.conversationId, room),
      cookie: erin.cookie
    });
    expect(chat.status).toBe(101);
    expect((await postInRoom(server, erin.cookie, cast.conversationId, room, 'Hello room')).status).toBe(201);
  });

  it('R73: ending keeps the room chats readable and keeps a message posted just before the end', async () => {
    const { cast, alice, rooms } = await setUp();
    const first = await startAt(alice, cast);
    const last = await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'Last words');
    expect(last.status).toBe(201);
    ok(endSession(alice.doc, { closingSeconds: 0, now: clock }));
    await waitForServerControl(server, cast.conversationId, (doc) => readSession(doc)?.closingAt === clock);
    // Sent as the rooms closed and delivered a moment later: kept, not refused (the posting grace).
    clock += 1000;
    const delayed = await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'Bye all');
    expect(delayed.status).toBe(201);
    clock += ROOM_POST_GRACE_MS;
    const late = await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'Too late');
    expect(late).toMatchObject({ status: 403, body: { error: SESSION_ENDED } });

    const history = await listRoomMessages(server, cast.carol.cookie, cast.conversationId, rooms[0]);
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['Last words', 'Bye all']);
    const chat = pool.connect(cast.carol, roomChatOf(cast.conversationId, rooms[0]));
    await waitFor(() => readChatMessages(chat.doc).length === 2, { what: 'the room chat after the end' });
    expect(readChatMessages(chat.doc).map((m) => m.text)).toEqual(['Last words', 'Bye all']);
    // Started again: a new run, the same rooms and people.
    const again = await startAt(alice, cast);
    expect(again.runId).not.toBe(first.runId);
    expect((await postInRoom(server, cast.carol.cookie, cast.conversationId, rooms[0], 'Back')).status).toBe(
      201
    );
  });

  it('R81 R73: a room chat opens only for a room of this conversation: a made-up id is 404 even for a moderator; a removed room’s kept chat still opens for moderators', async () => {
    const { cast, alice, rooms } = await setUp({ count: 3 });
    const upgrade = (cookie: string, room: string) =>
      tryUpgrade({ baseUrl: server.url, docName: roomChatOf(cast.conversationId, room), cookie });
    expect(await upgrade(cast.alice.cookie, 'NoSuchRoom01')).toEqual({
      status: 404,
      body: expect.stringMatching(/no breakout room/)
    });
    expect((await upgrade(cast.carol.cookie, 'NoSuchRoom01')).status).toBe(404);
    expect(await server.persistence.listDocNames(roomChatOf(cast.conversationId, 'NoSuchRoom01'))).toEqual(
      []
    );

    // The second room's chat has a message; the third room's was never written. Both are removed.
    const note = await postInRoom(server, cast.alice.cookie, cast.conversationId, rooms[1], 'Notes');
    expect(note.status).toBe(201);
    ok(removeRoom(alice.doc, { roomId: rooms[1] }));
    ok(removeRoom(alice.doc, { roomId: rooms[2] }));
    await waitForServerControl(
      server,
      cast.conversationId,
      (doc) => readBreakoutState(doc).rooms.length === 1
    );
    const kept = pool.connect(cast.alice, roomChatOf(cast.conversationId, rooms[1]));
    await waitFor(() => readChatMessages(kept.doc).length === 1, { what: 'the removed room’s chat' });
    expect(readChatMessages(kept.doc)[0].text).toBe('Notes');
    // bob was in that room; its chat is the moderators' now (he is unassigned).
    expect((await upgrade(cast.bob.cookie, rooms[1])).status).toBe(403);
    expect((await upgrade(cast.alice.cookie, rooms[2])).status).toBe(404);
    expect((await upgrade(cast.carol.cookie, rooms[0])).status).toBe(101);
  });

  it('R73 R77: whoever was in a room when the session closed may still post there for two minutes; after that, or having gone back to the main room, the post is refused with a sentence', async () => {
    const { cast, alice, rooms } = await setUp();
    const session = await startAt(alice, cast, { timerMinutes: 1, closingSeconds: 10, allowReturn: true });
    expect((await sendIntent(server, cast.dave.cookie, cast.conversationId, 'return')).status).toBe(200);
    const post = (actor: { cookie: string }, room: string, text: string) =>
      postInRoom(server, actor.cookie, cast.conversationId, room, text);
    const notInRoom = { status: 403, body: { error: 'You are not in this room.' } };

    const closedAt = getClosedAt(session)!;
    expect(closedAt).toBe(session.startedAt + MINUTE + 10_000);
    clock = closedAt;
    expect((await post(cast.carol, rooms[0], 'Sent as the rooms closed')).status).toBe(201);
    expect((await post(cast.bob, rooms[1], 'Same here')).status).toBe(201);
    // dave had gone back to the main room, so he was not in the room at the end; carol was not in bob's.
    expect(await post(cast.dave, rooms[1], 'Me too')).toMatchObject(notInRoom);
    expect(await post(cast.carol, rooms[1], 'Wrong room')).toMatchObject(notInRoom);
    clock = closedAt + ROOM_POST_GRACE_MS - 1;
    expect((await post(cast.carol, rooms[0], 'Last call')).status).toBe(201);
    clock = closedAt + ROOM_POST_GRACE_MS;
    expect(await post(cast.carol, rooms[0], 'Anyone?')).toMatchObject({
      status: 403,
      body: { error: SESSION_ENDED }
    });
    expect((await post(cast.alice, rooms[0], 'Thanks, all')).status).toBe(201);

    const history = await listRoomMessages(server, cast.carol.cookie, cast.conversationId, rooms[0]);
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual([
      'Sent as the rooms closed',
      'Last call',
      'Thanks, all'
    ]);
    const chat = pool.connect(cast.carol, roomChatOf(cast.conversationId, rooms[0]));
    await waitFor(() => readChatMessages(chat.doc).length === 3, { what: 'the late posts in the room chat' });
  });
});

describe('roles and restarts', () => {
  it('R14 R81: a moderator reads any room’s chat; demoted, they keep only their own room’s', async () => {
    const { cast, rooms } = await setUp();
    const promote = (role: 'moderator' | 'participant') =>
      setRole(server.url, cast.alice.cookie, {
        conversationId: cast.conversationId,
        userId: cast.carol.user.id,
        role
      });
    await promote('moderator');
    const other = pool.connect(cast.carol, roomChatOf(cast.conversationId, rooms[1]));
    const own = pool.connect(cast.carol, roomChatOf(cast.conversationId, rooms[0]));
    await Promise.all([other.whenSynced(), own.whenSynced()]);
    await promote('participant');
    expect(await other.closedEvent()).toEqual({ code: 4401, reason: 'You are no longer in this room.' });
    // Her own room's chat stays open: a marker written now still reaches it.
    const marker = await postInRoom(server, cast.alice.cookie, cast.conversationId, rooms[0], 'marker');
    expect(marker.status).toBe(201);
    await waitFor(() => readChatMessages(own.doc).some((m) => m.text === 'marker'), {
      what: 'the marker in carol’s own room chat'
    });
    expect(own.closes).toEqual([]);
  });

  it('R71: a running session and its timer survive a server restart', async () => {
    const { cast, alice, rooms } = await setUp();
    const session = await startAt(alice, cast, { timerMinutes: 5 });
    alice.destroy();
    await server.restart();
    const fresh = await freshControl(cast);
    expect(readSession(fresh)).toEqual(session);
    const help = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'help');
    expect(help).toMatchObject({ status: 201, body: { request: { roomId: rooms[0] } } });
    clock += 6 * MINUTE + 1;
    const after = await sendIntent(server, cast.bob.cookie, cast.conversationId, 'help');
    expect(after.status).toBe(409);
  });
});

describe('capacity under load', () => {
  it('R78 R44: eight people rushing a room with three seats: exactly three get in, everyone else is told it is full', async () => {
    const { cast, alice, rooms } = await setUp({ mode: 'choose' as never });
    ok(setSeatCap(alice.doc, { roomId: rooms[0], seatCap: 3 }));
    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const extra = [];
    for (let i = 0; i < 5; i++) {
      const user = await signUp(server.url, `rush${i}x${Date.now() % 1e6}`);
      await joinAsAccount(server.url, user.cookie, invite.token);
      extra.push(user);
    }
    const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
    await waitForServerControl(server, cast.conversationId, (doc) =>
      viewOf(doc, members).rooms.some((r) => r.seatCap === 3)
    );
    await startAt(alice, cast);
    const people = [cast.bob, cast.carol, cast.dave, ...extra];
    const answers = await Promise.all(
      people.map((p) => sendIntent(server, p.cookie, cast.conversationId, 'choose', { roomId: rooms[0] }))
    );
    const admitted = people.filter((_, i) => answers[i].status === 200).map((p) => asUserId(p.user.id));
    expect(admitted).toHaveLength(3);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer).toMatchObject({
        status: 409,
        body: { error: expect.stringMatching(/is full \(3 of 3/) }
      });
    }
    const fresh = await freshControl(cast);
    await waitFor(() => viewOf(fresh, members).rooms[0].members.length === 3, { what: 'three seats taken' });
    expect([...viewOf(fresh, members).rooms[0].members].sort()).toEqual([...admitted].sort());
  });
});
