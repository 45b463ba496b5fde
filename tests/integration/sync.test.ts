/**
 * Access to documents over the real sync server with the stock y-websocket client (SPEC R11–R14).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { postMessage, setRole, signUp, waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { tryUpgrade } from '../helpers/yclient';
import { castConversation, createClientPool, readStoredDoc } from './syncFixture';

let server: TestServer;
const pool = createClientPool(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(() => pool.destroyAll());
afterAll(async () => {
  await server.cleanup();
});

const setup = (doc: Y.Doc) => doc.getMap<unknown>('setup');

describe('sync access', () => {
  it('R11: two moderators’ edits to the control document reach each other', async () => {
    const cast = await castConversation(server);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const alice = pool.connect(cast.alice, cast.controlDoc);
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);

    setup(alice.doc).set('roomCount', 3);
    setup(bob.doc).set('mode', 'manual');
    await waitFor(() => setup(bob.doc).get('roomCount') === 3, { what: 'alice’s edit at bob' });
    await waitFor(() => setup(alice.doc).get('mode') === 'manual', { what: 'bob’s edit at alice' });
    expect(alice.closes).toEqual([]);
    expect(bob.closes).toEqual([]);
  });

  it('R12: a participant’s crafted write to the control document reaches nobody and is not stored; the participant is closed with 4403 for good', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    const carol = pool.connect(cast.carol, cast.controlDoc);
    await Promise.all([alice.whenSynced(), carol.whenSynced()]);
    setup(alice.doc).set('roomCount', 2);
    await waitFor(() => setup(carol.doc).get('roomCount') === 2, { what: 'read access for carol' });

    setup(carol.doc).set('roomCount', 99);
    setup(carol.doc).set('hijacked', true);
    const close = await carol.closedEvent();
    expect(close.code).toBe(4403);
    await waitFor(() => carol.isClosedForGood, { what: 'the provider’s final “closed” event' });
    expect(carol.provider.shouldConnect).toBe(false);

    // A later change by alice and a fresh reader both show the server never took carol's change.
    setup(alice.doc).set('marker', 'after');
    const dave = pool.connect(cast.dave, cast.controlDoc);
    await dave.whenSynced();
    await waitFor(() => setup(dave.doc).get('marker') === 'after', { what: 'alice’s later change at dave' });
    expect(setup(dave.doc).toJSON()).toEqual({ roomCount: 2, marker: 'after' });
    expect(setup(alice.doc).toJSON()).toEqual({ roomCount: 2, marker: 'after' });

    await waitFor(
      async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('marker') === 'after',
      {
        what: 'the later change in storage'
      }
    );
    const stored = await readStoredDoc(server, cast.controlDoc);
    expect(setup(stored.doc).toJSON()).toEqual({ roomCount: 2, marker: 'after' });
  });

  it('R12: a participant’s empty sync answer does not close it', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    setup(alice.doc).set('roomCount', 4);
    const carol = pool.connect(cast.carol, cast.controlDoc);
    await carol.whenSynced();
    expect(setup(carol.doc).get('roomCount')).toBe(4);

    // Messages of one socket are handled in order: an answer to a presence query sent after carol's sync
    // answer means that answer was accepted rather than closing the connection. (Her own presence would
    // not do: participants' presence on the control document is not relayed, R95.)
    const ws = carol.provider.ws!;
    let answered = false;
    ws.addEventListener('message', (event: { data: unknown }) => {
      const data = new Uint8Array(event.data as ArrayBuffer);
      if (data[0] === 1) answered = true; // an awareness message
    });
    ws.send(new Uint8Array([3])); // query awareness
    await waitFor(() => answered, { what: 'the answer to carol’s presence query' });
    expect(carol.closes).toEqual([]);
  });

  it('R12: a participant’s sync answer that repeats deletions the server already has does not close it', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    setup(alice.doc).set('name', 'Room 1');
    setup(alice.doc).set('name', 'Breakout A'); // overwriting deletes the old value: a non-empty delete set
    const carol = pool.connect(cast.carol, cast.controlDoc);
    await carol.whenSynced();
    await waitFor(() => setup(carol.doc).get('name') === 'Breakout A');
    const replica = carol.doc;
    carol.provider.destroy();

    // Reconnecting with the same replica: its answer to the server's step 1 carries that delete set.
    const again = pool.connect(cast.carol, cast.controlDoc, { doc: replica });
    await again.whenSynced();
    setup(alice.doc).set('name', 'Breakout B');
    await waitFor(() => setup(replica).get('name') === 'Breakout B', { what: 'a later change at carol' });
    expect(again.closes).toEqual([]);
  });

  it('R13: upgrades without a cookie, from a bad Origin, by a non-member or for unknown documents are refused over HTTP', async () => {
    const cast = await castConversation(server);
    const outsider = await signUp(server.url, `outsider${Date.now() % 100000}`);
    const base = { baseUrl: server.url };

    expect((await tryUpgrade({ ...base, docName: cast.controlDoc, cookie: '' })).status).toBe(401);
    expect(
      (await tryUpgrade({ ...base, docName: cast.controlDoc, cookie: 'parley_session=forged-token-value' }))
        .status
    ).toBe(401);
    expect(
      (
        await tryUpgrade({
          ...base,
          docName: cast.controlDoc,
          cookie: cast.alice.cookie,
          origin: 'https://evil.example'
        })
      ).status
    ).toBe(403);
    const nonMember = await tryUpgrade({ ...base, docName: cast.controlDoc, cookie: outsider.cookie });
    expect(nonMember.status).toBe(403);
    expect(nonMember.body).toMatch(/member/);
    expect((await tryUpgrade({ ...base, docName: cast.metaDoc, cookie: outsider.cookie })).status).toBe(403);
    for (const docName of [
      `conversation/${cast.conversationId}/settings`,
      `conversation/${cast.conversationId}/chat/no/such`,
      'not-ours',
      `conversation/${cast.conversationId}%ZZ/control`
    ]) {
      expect((await tryUpgrade({ ...base, docName, cookie: cast.alice.cookie })).status, docName).toBe(404);
    }
    expect(
      (
        await tryUpgrade({
          ...base,
          docName: 'conversation/NoSuchConversation1/control',
          cookie: cast.alice.cookie
        })
      ).status
    ).toBe(404);

    // The same member, properly introduced, gets in: the refusals above were about the request.
    expect((await tryUpgrade({ ...base, docName: cast.controlDoc, cookie: cast.alice.cookie })).status).toBe(
      101
    );
    expect((await tryUpgrade({ ...base, docName: cast.controlDoc, cookie: cast.dave.cookie })).status).toBe(
      101
    );
  });

  it('R14: a role change re-decides an open connection at once: promoted bob writes, demoted bob’s next write closes with 4403', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    const role = (r: 'moderator' | 'participant') =>
      setRole(server.url, cast.alice.cookie, {
        conversationId: cast.conversationId,
        userId: cast.bob.user.id,
        role: r
      });

    await role('moderator');
    setup(bob.doc).set('roomCount', 5);
    await waitFor(() => setup(alice.doc).get('roomCount') === 5, { what: 'promoted bob’s change at alice' });
    expect(bob.closes).toEqual([]);

    await role('participant');
    setup(bob.doc).set('roomCount', 6);
    expect((await bob.closedEvent()).code).toBe(4403);
    setup(alice.doc).set('marker', 'after');
    await waitFor(
      async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('marker') === 'after'
    );
    expect(setup(alice.doc).get('roomCount')).toBe(5);
    expect(setup((await readStoredDoc(server, cast.controlDoc)).doc).get('roomCount')).toBe(5);
  });

  it('R11: the meta document is read-only even for the owner: only the server writes it', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.metaDoc);
    await alice.whenSynced();
    await waitFor(() => alice.doc.getMap('members').size === 4, { what: 'the four members in meta' });
    alice.doc.getMap('conversation').set('title', 'Renamed by a client');
    expect((await alice.closedEvent()).code).toBe(4403);
    const stored = await readStoredDoc(server, cast.metaDoc);
    expect(stored.doc.getMap('conversation').get('title')).toBe('Workshop');
  });

  it('R11: changes the server writes as trusted writer reach read-only members live', async () => {
    const cast = await castConversation(server);
    const carolMeta = pool.connect(cast.carol, cast.metaDoc);
    const carolChat = pool.connect(cast.carol, `conversation/${cast.conversationId}/chat/main`);
    await Promise.all([carolMeta.whenSynced(), carolChat.whenSynced()]);
    const members = carolMeta.doc.getMap<{ role: string }>('members');
    expect(members.get(cast.bob.user.id)?.role).toBe('participant');

    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    await waitFor(() => members.get(cast.bob.user.id)?.role === 'moderator', {
      what: 'bob’s new role at carol'
    });
    await postMessage(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      text: 'Welcome!'
    });
    const messages = carolChat.doc.getArray<{ text: string }>('messages');
    await waitFor(() => messages.toArray().some((m) => m.text === 'Welcome!'), {
      what: 'the message at carol'
    });
    expect(carolMeta.closes).toEqual([]);
    expect(carolChat.closes).toEqual([]);
  });
});
