/**
 * Presence (awareness) and keepalive on the sync server: on the meta and chat documents every member
 * shares presence whatever their access; on the control document only moderators do, under the identity
 * of their connection (R95). A socket that stops answering is cut and its presence removed for everyone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type WebSocket from 'ws';
import { Awareness } from 'y-protocols/awareness';
import { encodeAwarenessMessage, encodeSyncStep1 } from '../../server/sync/protocol';
import { presenceColor } from '../../src/lib/domain/presence';
import { setRole, waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import * as encoding from 'lib0/encoding';
import {
  connectDoc,
  openRawSocket,
  upgradeWithEarlyFrames,
  type DocClient,
  type RawSocket
} from '../helpers/yclient';
import { castConversation, startSecondSyncServer, type SecondSyncServer } from './syncFixture';

let server: TestServer;
let second: SecondSyncServer | null = null;
const clients: DocClient[] = [];
const sockets: RawSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const raw of sockets.splice(0)) raw.ws.terminate();
  await second?.close();
  second = null;
  await server.cleanup();
});

const names = (client: DocClient) =>
  [...client.provider.awareness.getStates().values()]
    .map((s) => (s as { name?: string }).name)
    .filter(Boolean);

/** An awareness frame with hand-picked entries: `null` state removes that client's presence. */
function awarenessFrame(entries: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(update, clientId);
    encoding.writeVarUint(update, clock);
    encoding.writeVarString(update, JSON.stringify(state));
  }
  const frame = encoding.createEncoder();
  encoding.writeVarUint(frame, 1);
  encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
  return encoding.toUint8Array(frame);
}

describe('sync presence', () => {
  it('R19: a member cannot overwrite or remove another member’s presence; everyone keeps seeing the real one', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const alice = connectDoc({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.alice.cookie });
    const bob = connectDoc({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.bob.cookie });
    clients.push(alice, bob);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    alice.provider.awareness.setLocalStateField('name', 'Alice');
    const aliceId = alice.doc.clientID;
    await waitFor(() => names(bob).includes('Alice'), { what: 'alice’s presence at bob' });
    const clock = bob.provider.awareness.meta.get(aliceId)!.clock;

    const carol = openRawSocket({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.carol.cookie });
    sockets.push(carol);
    await carol.opened;
    carol.send(awarenessFrame([{ clientId: aliceId, clock: clock + 10, state: { name: 'Mallory' } }]));
    carol.send(awarenessFrame([{ clientId: aliceId, clock: clock + 20, state: null }]));
    // Frames of one socket are handled in order: carol's own presence at bob means the forged ones were handled.
    carol.send(awarenessFrame([{ clientId: 777_001, clock: 1, state: { name: 'Carol' } }]));
    await waitFor(() => names(bob).includes('Carol'), { what: 'carol’s own presence at bob' });

    expect(bob.provider.awareness.getStates().get(aliceId)).toEqual({ name: 'Alice' });
    expect(names(bob).sort()).toEqual(['Alice', 'Carol']);
    expect(alice.closes).toEqual([]);
  });

  it('R19: more than 4 presence ids on one connection, or a state over 8 KiB, closes it with 4400 (also a read-only one on the control document)', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const many = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.carol.cookie });
    const large = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    sockets.push(many, large);
    await Promise.all([many.opened, large.opened]);
    many.send(
      awarenessFrame([1, 2, 3, 4, 5].map((n) => ({ clientId: 900_000 + n, clock: 1, state: { n } })))
    );
    large.send(awarenessFrame([{ clientId: 910_000, clock: 1, state: { name: 'x'.repeat(8 * 1024) } }]));
    expect((await many.closed).code).toBe(4400);
    expect((await large.closed).code).toBe(4400);

    // A state just under the limit and four ids are fine.
    const fine = openRawSocket({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.dave.cookie });
    sockets.push(fine);
    await fine.opened;
    fine.send(
      awarenessFrame([1, 2, 3, 4].map((n) => ({ clientId: 920_000 + n, clock: 1, state: { name: `d${n}` } })))
    );
    fine.send(awarenessFrame([{ clientId: 920_001, clock: 2, state: { name: 'y'.repeat(8 * 1024 - 20) } }]));
    const watcher = connectDoc({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.alice.cookie });
    clients.push(watcher);
    await waitFor(() => (watcher.provider.awareness.getStates().get(920_001)?.name?.length ?? 0) > 8000, {
      what: 'the large but allowed state at alice'
    });
    expect(names(watcher)).toEqual(expect.arrayContaining(['d2', 'd3', 'd4']));
  });

  it('R11, R19: on the meta document a read-only participant and a moderator see each other’s presence', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const alice = connectDoc({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.alice.cookie });
    const carol = connectDoc({ baseUrl: server.url, docName: cast.metaDoc, cookie: cast.carol.cookie });
    clients.push(alice, carol);
    await Promise.all([alice.whenSynced(), carol.whenSynced()]);
    alice.provider.awareness.setLocalStateField('name', 'Alice');
    carol.provider.awareness.setLocalStateField('name', 'Carol');
    await waitFor(() => names(alice).includes('Carol') && names(carol).includes('Alice'), {
      what: 'presence both ways'
    });
    // Only the control document's presence is stamped with the identity (R95).
    expect(alice.provider.awareness.getStates().get(carol.doc.clientID)).toEqual({ name: 'Carol' });
    expect(carol.closes).toEqual([]);
  });

  it('R16: a socket that stops answering pings is cut and its presence removed; answering sockets stay', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    second = await startSecondSyncServer(server.persistence, { pingIntervalMs: 50 });
    const bob = connectDoc({ baseUrl: second.url, docName: cast.metaDoc, cookie: cast.bob.cookie });
    clients.push(bob);
    await bob.whenSynced();
    let pingsAtBob = 0;
    (bob.provider.ws as unknown as WebSocket).on('ping', () => pingsAtBob++);

    // A hand-made socket that announces a presence and then never answers a ping.
    const ghostDoc = new Y.Doc();
    ghostDoc.clientID = 4242;
    const ghostAwareness = new Awareness(ghostDoc);
    ghostAwareness.setLocalState({ name: 'Ghost' });
    const ghost = upgradeWithEarlyFrames({
      baseUrl: second.url,
      docName: cast.metaDoc,
      cookie: cast.carol.cookie,
      frames: [encodeAwarenessMessage(ghostAwareness, [4242])],
      until: () => false
    });
    await waitFor(() => names(bob).includes('Ghost'), { what: 'the ghost’s presence at bob' });

    const { status, frames } = await ghost;
    expect(status).toBe(101);
    expect(frames.some((f) => f.opcode === 9)).toBe(true); // it was pinged before being cut
    await waitFor(() => !names(bob).includes('Ghost'), { what: 'the ghost’s presence removed at bob' });
    await waitFor(() => pingsAtBob >= 3, { what: 'several keepalive rounds at bob' });
    expect(second.sync.stats().connections).toBe(1);
    expect(bob.closes).toEqual([]);
    ghostAwareness.destroy();
  });

  it('R95: a moderator’s presence on the control document carries their real identity, whatever the client sent', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const alice = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    const bob = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    clients.push(alice, bob);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    const editing = { roomId: 'room0001', action: 'renaming' };
    bob.provider.awareness.setLocalState({
      user: { id: cast.alice.user.id, name: 'mallory', color: 'red' },
      editing
    });
    const bobId = bob.doc.clientID;
    const stateOf = (client: DocClient, id: number) => client.provider.awareness.getStates().get(id);
    await waitFor(() => stateOf(alice, bobId)?.editing, { what: 'bob’s presence at alice' });
    const seen = stateOf(alice, bobId);
    expect(seen).toEqual({
      user: { id: cast.bob.user.id, name: 'Bob', color: presenceColor(cast.bob.user.id) },
      editing
    });

    // A state with no user gets one too, and a state that is not an object becomes just the identity.
    const raw = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    sockets.push(raw);
    await raw.opened;
    raw.send(
      awarenessFrame([
        { clientId: 930_001, clock: 1, state: { editing: null } },
        { clientId: 930_002, clock: 1, state: 'mallory' }
      ])
    );
    const bobUser = { id: cast.bob.user.id, name: 'Bob', color: presenceColor(cast.bob.user.id) };
    await waitFor(() => alice.provider.awareness.getStates().has(930_002), {
      what: 'the raw presences at alice'
    });
    expect(alice.provider.awareness.getStates().get(930_001)).toEqual({ editing: null, user: bobUser });
    expect(alice.provider.awareness.getStates().get(930_002)).toEqual({ user: bobUser });
    expect(bob.closes).toEqual([]);
  });

  it('R95: a participant’s presence on the control document is not relayed; a demoted moderator’s goes away', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const alice = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    const bob = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    clients.push(alice, bob);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);

    // Carol (participant, read-only here) shows a presence, then asks for the document: the answer
    // means her presence frame was handled (frames of one socket are handled in order).
    const carol = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.carol.cookie });
    sockets.push(carol);
    await carol.opened;
    carol.send(awarenessFrame([{ clientId: 940_001, clock: 1, state: { name: 'Carol' } }]));
    carol.send(encodeSyncStep1(new Y.Doc()));
    await waitFor(() => carol.received.some((f) => f[0] === 0 && f[1] === 1), {
      what: 'carol’s sync answer'
    });
    // Anything relayed from carol would reach alice before bob's later presence does.
    bob.provider.awareness.setLocalStateField('name', 'Bob');
    await waitFor(() => names(alice).includes('Bob'), { what: 'bob’s presence at alice' });
    expect(alice.provider.awareness.getStates().has(940_001)).toBe(false);
    expect(names(alice)).not.toContain('Carol');
    expect(
      [...alice.provider.awareness.getStates().values()].map(
        (s) => (s as { user?: { id?: string } }).user?.id
      )
    ).not.toContain(cast.carol.user.id);
    expect(carol.ws.readyState).toBe(carol.ws.OPEN);

    // Bob is demoted: his next presence update is not relayed, and the one he showed goes away.
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'participant'
    });
    bob.provider.awareness.setLocalStateField('name', 'Bob, demoted');
    await waitFor(() => !alice.provider.awareness.getStates().has(bob.doc.clientID), {
      what: 'bob’s presence removed at alice'
    });
    expect(names(alice)).not.toContain('Bob, demoted');
  });
});
