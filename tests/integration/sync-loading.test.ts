/**
 * SPEC R15 when storage is slow: with SQLite the load finishes within the upgrade's own turn of the
 * event loop, so the ordering rule only shows when reading the log takes real time (as it would with
 * a networked database). Here a second sync server runs on the real server's SQLite database, with
 * reads of the update log held at a gate the test opens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import type { Persistence } from '../../server/persistence/types';
import { encodeSyncStep1 } from '../../server/sync/protocol';
import { waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { connectDoc, upgradeWithEarlyFrames, type DocClient, type ServerFrame } from '../helpers/yclient';
import { castConversation, readStoredDoc, startSecondSyncServer, type SecondSyncServer } from './syncFixture';

let server: TestServer;
let slow: SecondSyncServer | null = null;
const clients: DocClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await slow?.close();
  slow = null;
  await server.cleanup();
});

const startSlowSyncServer = (persistence: Persistence) =>
  startSecondSyncServer(persistence, { gateLoads: true });

const setup = (doc: Y.Doc) => doc.getMap<unknown>('setup');

describe('sync loading', () => {
  it('R15: frames that arrive while the document loads wait, and the first sync step is answered from the loaded state', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const alice = connectDoc({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
    clients.push(alice);
    await alice.whenSynced();
    setup(alice.doc).set('roomCount', 7);
    setup(alice.doc).set('mode', 'automatic');
    await waitFor(
      async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('mode') === 'automatic'
    );

    slow = await startSlowSyncServer(server.persistence);
    // carol's sync step 1 travels in the same TCP write as her upgrade request: it is on the server
    // before the load can have finished. bob, on the stock client, opens the same document meanwhile.
    const carol = upgradeWithEarlyFrames({
      baseUrl: slow.url,
      docName: cast.controlDoc,
      cookie: cast.carol.cookie,
      frames: [encodeSyncStep1(new Y.Doc())],
      until: (frames) => frames.some(isSyncStep2)
    });
    const bob = connectDoc({ baseUrl: slow.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    clients.push(bob);
    await waitFor(() => bob.provider.wsconnected && slow!.sync.stats().connections === 2, {
      what: 'both sockets open'
    });
    // Concurrent openers share one load, which is still held at the gate.
    expect(slow.loadsStarted()).toBe(1);
    expect(bob.provider.synced).toBe(false);

    slow.open();
    const { status, frames } = await carol;
    expect(status).toBe(101);
    // The server's own step 1 comes first, then its answer to carol's, made from the loaded state.
    expect(frames.findIndex(isSyncStep1)).toBeLessThan(frames.findIndex(isSyncStep2));
    const replica = new Y.Doc();
    Y.applyUpdate(replica, readSyncPayload(frames.find(isSyncStep2)!));
    expect(setup(replica).toJSON()).toEqual({ roomCount: 7, mode: 'automatic' });
    await bob.whenSynced();
    expect(setup(bob.doc).toJSON()).toEqual({ roomCount: 7, mode: 'automatic' });
    expect(bob.closes).toEqual([]);
  });

  it('R15, R16: a malformed frame that waited for the load closes only its own connection', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    slow = await startSlowSyncServer(server.persistence);
    const carol = upgradeWithEarlyFrames({
      baseUrl: slow.url,
      docName: cast.controlDoc,
      cookie: cast.carol.cookie,
      frames: [encodeSyncStep1(new Y.Doc()), Uint8Array.of(0, 2, 0xff)],
      until: () => false
    });
    const bob = connectDoc({ baseUrl: slow.url, docName: cast.controlDoc, cookie: cast.bob.cookie });
    clients.push(bob);
    await waitFor(() => bob.provider.wsconnected && slow!.sync.stats().connections === 2);
    slow.open();
    const { frames } = await carol;
    const close = frames.at(-1)!;
    expect(close.opcode).toBe(8);
    expect(close.payload.readUInt16BE(0)).toBe(4400);
    // The frame before the bad one was still answered, in order.
    expect(frames.some(isSyncStep2)).toBe(true);
    await bob.whenSynced();
    expect(bob.closes).toEqual([]);
  });
});

const isSyncStep1 = (frame: ServerFrame) =>
  frame.opcode === 2 && frame.payload[0] === 0 && frame.payload[1] === 0;
const isSyncStep2 = (frame: ServerFrame) =>
  frame.opcode === 2 && frame.payload[0] === 0 && frame.payload[1] === 1;

function readSyncPayload(frame: ServerFrame): Uint8Array {
  const decoder = decoding.createDecoder(frame.payload);
  decoding.readVarUint(decoder);
  decoding.readVarUint(decoder);
  return decoding.readVarUint8Array(decoder);
}
