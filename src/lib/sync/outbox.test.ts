import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { isValidId } from '../domain/ids';
import { SIGNED_IN_AS_SOMEONE_ELSE } from '../domain/policy';
import {
  Outbox,
  createApiPost,
  createIndexedDbOutboxStore,
  createMemoryOutboxStore,
  newMessageId,
  type OutboxEntry,
  type PostMessage,
  type PostResult
} from './outbox';

/** Resolves once `predicate` holds, checking after every outbox change (no fixed sleeps). */
function waitFor(outbox: Outbox, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate()) return resolve();
    const off = outbox.subscribe(() => {
      if (predicate()) {
        off();
        resolve();
      }
    });
  });
}

/** A fake server: records every POST, answers with scripted results (then ok). */
function fakeServer(script: PostResult[] = []) {
  const calls: OutboxEntry[] = [];
  const stored = new Map<string, OutboxEntry>();
  const post: PostMessage = async (entry) => {
    calls.push(entry);
    const result = script.shift() ?? { ok: true };
    if (result.ok) stored.set(entry.id, entry);
    return result;
  };
  return { calls, stored, post };
}

const created: Outbox[] = [];
function make(options: ConstructorParameters<typeof Outbox>[0]): Outbox {
  const outbox = new Outbox({ initialBackoffMs: 5, maxBackoffMs: 20, ...options });
  created.push(outbox);
  return outbox;
}

afterEach(() => {
  for (const o of created.splice(0)) o.destroy();
});

const CONV = 'conv12345';

describe('Outbox', () => {
  it('newMessageId makes ids the server accepts (R22)', () => {
    const ids = new Set(Array.from({ length: 100 }, newMessageId));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toHaveLength(22);
      expect(isValidId(id)).toBe(true);
    }
  });

  it('R23: sends messages in the order written', async () => {
    const server = fakeServer();
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post });
    for (const text of ['one', 'two', 'three']) await outbox.enqueue({ conversationId: CONV, text });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(server.calls.map((c) => c.text)).toEqual(['one', 'two', 'three']);
    expect(outbox.items.map((i) => i.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('R21: refuses empty and overlong text before queueing', async () => {
    const server = fakeServer();
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post });
    const empty = await outbox.enqueue({ conversationId: CONV, text: '   ' });
    const long = await outbox.enqueue({ conversationId: CONV, text: 'x'.repeat(32_001) });
    expect(empty.ok).toBe(false);
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.error).toContain('32,000');
    expect(outbox.items).toHaveLength(0);
    expect(server.calls).toHaveLength(0);
  });

  it('R22: retries network errors and 5xx with the same id, and keeps later messages behind', async () => {
    const server = fakeServer([
      { ok: false, retry: true, error: 'Cannot reach the server.' },
      { ok: false, retry: true, error: 'The server had a problem.' }
    ]);
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post });
    const first = await outbox.enqueue({ conversationId: CONV, id: 'firstmessage01', text: 'first' });
    await outbox.enqueue({ conversationId: CONV, id: 'secondmessage2', text: 'second' });
    expect(first.ok).toBe(true);
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(server.calls.map((c) => c.id)).toEqual([
      'firstmessage01',
      'firstmessage01',
      'firstmessage01',
      'secondmessage2'
    ]);
    expect(server.stored.size).toBe(2);
  });

  it('drops a message refused with a 4xx, keeps its error, and goes on with the next', async () => {
    const server = fakeServer([
      { ok: false, retry: false, error: 'You are not a member of this conversation.' }
    ]);
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post });
    await outbox.enqueue({ conversationId: CONV, id: 'refusedmsg01', text: 'refused' });
    await outbox.enqueue({ conversationId: CONV, id: 'acceptedmsg1', text: 'accepted' });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(server.calls.map((c) => c.id)).toEqual(['refusedmsg01', 'acceptedmsg1']);
    const refused = outbox.items.find((i) => i.id === 'refusedmsg01');
    expect(refused?.state).toBe('failed');
    expect(refused?.error).toBe('You are not a member of this conversation.');
    outbox.forget('refusedmsg01');
    expect(outbox.items.map((i) => i.id)).toEqual(['acceptedmsg1']);
  });

  it('waits while offline and sends on kick() once online', async () => {
    let online = false;
    const server = fakeServer();
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post, isOnline: () => online });
    await outbox.enqueue({ conversationId: CONV, text: 'later' });
    await waitFor(outbox, () => !outbox.flushing);
    expect(server.calls).toHaveLength(0);
    expect(outbox.items[0].state).toBe('waiting');
    online = true;
    outbox.kick();
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(server.calls.map((c) => c.text)).toEqual(['later']);
  });

  it('R23: queued messages survive a reload (IndexedDB) and are sent once, in order', async () => {
    const name = `parley:alice:outbox:${Math.random()}`;
    const offline = make({
      store: createIndexedDbOutboxStore(name),
      post: fakeServer().post,
      isOnline: () => false
    });
    await offline.enqueue({ conversationId: CONV, id: 'persisted001', text: 'a' });
    await offline.enqueue({ conversationId: 'otherconv1', id: 'persisted002', text: 'b' });
    await offline.enqueue({ conversationId: CONV, id: 'persisted003', text: 'c' });
    offline.destroy();

    const server = fakeServer();
    const reopened = make({ store: createIndexedDbOutboxStore(name), post: server.post });
    await reopened.ready;
    await waitFor(reopened, () => reopened.pendingCount === 0 && !reopened.flushing);
    expect(server.calls.map((c) => c.id)).toEqual(['persisted001', 'persisted002', 'persisted003']);

    // Sent entries are gone from storage: a third start sends nothing again.
    reopened.destroy();
    const again = fakeServer();
    const third = make({ store: createIndexedDbOutboxStore(name), post: again.post });
    await third.ready;
    await waitFor(third, () => !third.flushing);
    expect(again.calls).toHaveLength(0);
  });

  it('R22: a message interrupted mid-send is retried with the same id after a reload', async () => {
    const name = `parley:bob:outbox:${Math.random()}`;
    // The first page dies while its request is in flight: the answer never arrives.
    const hang: PostMessage = () => new Promise(() => {});
    const first = make({ store: createIndexedDbOutboxStore(name), post: hang });
    await first.enqueue({ conversationId: CONV, id: 'inflight0001', text: 'hello' });
    await waitFor(first, () => first.items[0]?.state === 'sending');
    first.destroy();

    const server = fakeServer();
    const second = make({ store: createIndexedDbOutboxStore(name), post: server.post });
    await waitFor(second, () => second.pendingCount === 0 && !second.flushing && server.calls.length > 0);
    expect(server.calls.map((c) => c.id)).toEqual(['inflight0001']);
  });

  it('never posts under another user: waits while the session belongs to someone else', async () => {
    let sameUser = false;
    const server = fakeServer();
    const outbox = make({
      store: createMemoryOutboxStore(),
      post: server.post,
      isSameUser: async () => sameUser,
      initialBackoffMs: 60_000
    });
    await outbox.enqueue({ conversationId: CONV, text: 'mine' });
    await waitFor(outbox, () => !outbox.flushing);
    expect(server.calls).toHaveLength(0);
    expect(outbox.items[0].state).toBe('waiting');
    sameUser = true;
    outbox.kick();
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(server.calls.map((c) => c.text)).toEqual(['mine']);
  });

  it('reports a thrown post as retryable, never losing the message', async () => {
    let failures = 1;
    const calls: string[] = [];
    const post: PostMessage = async (entry) => {
      calls.push(entry.id);
      if (failures-- > 0) throw new TypeError('fetch failed');
      return { ok: true };
    };
    const outbox = make({ store: createMemoryOutboxStore(), post });
    await outbox.enqueue({ conversationId: CONV, id: 'throwsonce01', text: 'x' });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(calls).toEqual(['throwsonce01', 'throwsonce01']);
  });

  it('R25: posts name their author; 401 and the wrong-user 409 keep the message queued until it is accepted', async () => {
    const answers = [
      { status: 409, body: { error: SIGNED_IN_AS_SOMEONE_ELSE } },
      { status: 401, body: { error: 'Not signed in.' } },
      { status: 201, body: { message: {} } }
    ];
    const bodies: unknown[] = [];
    const fetchImpl = (async (_path: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      const answer = answers.shift()!;
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'content-type': 'application/json' }
      });
    }) as unknown as typeof fetch;
    const outbox = make({
      store: createMemoryOutboxStore(),
      post: createApiPost({ authorId: 'aliceuser01', fetchImpl })
    });
    const states: string[] = [];
    outbox.subscribe(() => states.push(outbox.items[0]?.state ?? 'none'));
    await outbox.enqueue({ conversationId: CONV, id: 'waitsforme01', text: 'mine' });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(bodies).toEqual(
      Array.from({ length: 3 }, () => ({ id: 'waitsforme01', text: 'mine', authorId: 'aliceuser01' }))
    );
    expect(states).not.toContain('failed');
    expect(outbox.items[0].state).toBe('sent');
  });

  it('R25: another 409 (an id taken by someone else) is still final', async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ error: 'A message with this id already exists.' }), {
        status: 409
      })) as unknown as typeof fetch;
    const outbox = make({
      store: createMemoryOutboxStore(),
      post: createApiPost({ authorId: 'a1234567', fetchImpl })
    });
    await outbox.enqueue({ conversationId: CONV, id: 'takenid00001', text: 'x' });
    await waitFor(outbox, () => outbox.items[0]?.state === 'failed');
    expect(outbox.items[0].error).toBe('A message with this id already exists.');
  });

  it('R77: a room message is posted with its room and listed only in that room', async () => {
    const bodies: unknown[] = [];
    const fetchImpl = (async (_path: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return new Response(JSON.stringify({ message: {} }), { status: 201 });
    }) as unknown as typeof fetch;
    const outbox = make({
      store: createMemoryOutboxStore(),
      post: createApiPost({ authorId: 'aliceuser01', fetchImpl })
    });
    await outbox.enqueue({
      conversationId: CONV,
      id: 'inroomone001',
      text: 'in the room',
      room: 'roomAAAA0001'
    });
    await outbox.enqueue({ conversationId: CONV, id: 'inmainroom01', text: 'in main', room: 'main' });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(bodies).toEqual([
      { id: 'inroomone001', text: 'in the room', authorId: 'aliceuser01', room: 'roomAAAA0001' },
      { id: 'inmainroom01', text: 'in main', authorId: 'aliceuser01' }
    ]);
    expect(outbox.itemsFor(CONV, 'roomAAAA0001').map((i) => i.id)).toEqual(['inroomone001']);
    expect(outbox.itemsFor(CONV).map((i) => i.id)).toEqual(['inmainroom01']);
  });

  it('R77: failedOutside lists refused room messages of this conversation, except the room on screen', async () => {
    const refuse = { ok: false, retry: false, error: 'No breakout session is running.' } as const;
    const server = fakeServer([refuse, refuse, refuse, refuse]);
    const outbox = make({ store: createMemoryOutboxStore(), post: server.post });
    await outbox.enqueue({ conversationId: CONV, id: 'refusedinA01', text: 'a', room: 'roomAAAA0001' });
    await outbox.enqueue({ conversationId: CONV, id: 'refusedinB01', text: 'b', room: 'roomBBBB0001' });
    await outbox.enqueue({ conversationId: CONV, id: 'refusedmain1', text: 'main' });
    await outbox.enqueue({
      conversationId: 'otherconv1',
      id: 'otherconvA01',
      text: 'x',
      room: 'roomAAAA0001'
    });
    await outbox.enqueue({ conversationId: CONV, id: 'acceptedinA1', text: 'ok', room: 'roomAAAA0001' });
    await waitFor(outbox, () => outbox.pendingCount === 0 && !outbox.flushing);
    expect(outbox.failedOutside(CONV).map((i) => i.id)).toEqual(['refusedinA01', 'refusedinB01']);
    expect(outbox.failedOutside(CONV, null).map((i) => i.id)).toEqual(['refusedinA01', 'refusedinB01']);
    expect(outbox.failedOutside(CONV, 'roomAAAA0001').map((i) => i.id)).toEqual(['refusedinB01']);
    expect(outbox.failedOutside(CONV, 'main').map((i) => i.id)).toEqual(['refusedinA01', 'refusedinB01']);
    const [first] = outbox.failedOutside(CONV);
    expect(first).toMatchObject({
      room: 'roomAAAA0001',
      text: 'a',
      error: 'No breakout session is running.'
    });
    outbox.forget('refusedinA01');
    expect(outbox.failedOutside(CONV).map((i) => i.id)).toEqual(['refusedinB01']);
  });
});
