/**
 * Presence (awareness) and keepalive on the sync server: every member shares presence whatever their
 * access, and a socket that stops answering is cut and its presence removed for everyone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type WebSocket from 'ws';
import { Awareness } from 'y-protocols/awareness';
import { encodeAwarenessMessage } from '../../server/sync/protocol';
import { waitFor } from '../helpers/api';
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
    const alice = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    const bob = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    clients.push(alice, bob);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    alice.provider.awareness.setLocalStateField('name', 'Alice');
    const aliceId = alice.doc.clientID;
    await waitFor(() => names(bob).includes('Alice'), { what: 'alice’s presence at bob' });
    const clock = bob.provider.awareness.meta.get(aliceId)!.clock;

    const carol = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.carol.cookie });
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

  it('R19: more than 4 presence ids on one connection, or a state over 8 KiB, closes it with 4400', async () => {
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
    const fine = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.dave.cookie });
    sockets.push(fine);
    await fine.opened;
    fine.send(
      awarenessFrame([1, 2, 3, 4].map((n) => ({ clientId: 920_000 + n, clock: 1, state: { name: `d${n}` } })))
    );
    fine.send(awarenessFrame([{ clientId: 920_001, clock: 2, state: { name: 'y'.repeat(8 * 1024 - 20) } }]));
    const watcher = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    clients.push(watcher);
    await waitFor(() => (watcher.provider.awareness.getStates().get(920_001)?.name?.length ?? 0) > 8000, {
      what: 'the large but allowed state at alice'
    });
    expect(names(watcher)).toEqual(expect.arrayContaining(['d2', 'd3', 'd4']));
  });

  it('R11: a read-only participant and a moderator see each other’s presence', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const alice = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    const carol = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.carol.cookie });
    clients.push(alice, carol);
    await Promise.all([alice.whenSynced(), carol.whenSynced()]);
    alice.provider.awareness.setLocalStateField('name', 'Alice');
    carol.provider.awareness.setLocalStateField('name', 'Carol');
    await waitFor(() => names(alice).includes('Carol') && names(carol).includes('Alice'), {
      what: 'presence both ways'
    });
    expect(carol.closes).toEqual([]);
  });

  it('R16: a socket that stops answering pings is cut and its presence removed; answering sockets stay', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    second = await startSecondSyncServer(server.persistence, { pingIntervalMs: 50 });
    const bob = connectDoc({ baseUrl: second.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
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
      docName: cast.controlDoc,
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
});
