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
import { connectDoc, upgradeWithEarlyFrames, type DocClient } from '../helpers/yclient';
import { castConversation, startSecondSyncServer, type SecondSyncServer } from './syncFixture';

let server: TestServer;
let second: SecondSyncServer | null = null;
const clients: DocClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await second?.close();
  second = null;
  await server.cleanup();
});

const names = (client: DocClient) =>
  [...client.provider.awareness.getStates().values()]
    .map((s) => (s as { name?: string }).name)
    .filter(Boolean);

describe('sync presence', () => {
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
