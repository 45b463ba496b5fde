/**
 * Bad input on the sync socket (SPEC R16): each bad frame closes only the connection that sent it, with
 * the documented close code, while everyone else keeps syncing and nothing stored is lost. The bad
 * frames are sent by alice, a moderator, since a writer's frames are the ones that could do harm.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { openRawSocket, type RawSocket } from '../helpers/yclient';
import { castConversation, createClientPool, readStoredDoc, type Cast } from './syncFixture';

let server: TestServer;
let cast: Cast;
const pool = createClientPool(() => server);
const sockets: RawSocket[] = [];

beforeAll(async () => {
  server = await startTestServer();
  cast = await castConversation(server);
});
afterEach(() => {
  pool.destroyAll();
  for (const raw of sockets.splice(0)) raw.ws.terminate();
});
afterAll(async () => {
  await server.cleanup();
});

const setup = (doc: Y.Doc) => doc.getMap<unknown>('setup');

function message(...parts: Array<(e: encoding.Encoder) => void>): Uint8Array {
  const e = encoding.createEncoder();
  for (const part of parts) part(e);
  return encoding.toUint8Array(e);
}

/** A y-websocket sync `update` message carrying `update`. */
const updateMessage = (update: Uint8Array) =>
  message(
    (e) => encoding.writeVarUint(e, 0),
    (e) => encoding.writeVarUint(e, 2),
    (e) => encoding.writeVarUint8Array(e, update)
  );

/** An update that sets `setup.key` twice, so it ends with a non-empty delete set. */
function updateSetting(key: string, value: unknown): Uint8Array {
  const doc = new Y.Doc();
  setup(doc).set(key, 'first');
  setup(doc).set(key, value);
  return Y.encodeStateAsUpdate(doc);
}

async function openAsAlice(): Promise<RawSocket> {
  const raw = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.alice.cookie });
  sockets.push(raw);
  await raw.opened;
  return raw;
}

/**
 * After a bad connection was closed: alice's next change still reaches bob and storage, and the
 * document holds exactly `expected`.
 */
async function expectOthersCarryOn(marker: string, expected: Record<string, unknown>) {
  const alice = pool.connect(cast.alice, cast.controlDoc);
  const bob = pool.connect(cast.bob, cast.controlDoc);
  await Promise.all([alice.whenSynced(), bob.whenSynced()]);
  setup(alice.doc).set('marker', marker);
  await waitFor(() => setup(bob.doc).get('marker') === marker, { what: `marker ${marker} at bob` });
  expect(setup(bob.doc).toJSON()).toEqual({ ...expected, marker });
  await waitFor(
    async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('marker') === marker,
    {
      what: `marker ${marker} in storage`
    }
  );
  expect(setup((await readStoredDoc(server, cast.controlDoc)).doc).toJSON()).toEqual({ ...expected, marker });
  expect(alice.closes).toEqual([]);
  expect(bob.closes).toEqual([]);
}

describe('sync robustness', () => {
  it('R16: a well-formed update from a raw moderator socket is applied (the baseline for the cases below)', async () => {
    const raw = await openAsAlice();
    raw.send(updateMessage(updateSetting('baseline', 'ok')));
    await expectOthersCarryOn('m0', { baseline: 'ok' });
    expect(raw.ws.readyState).toBe(raw.ws.OPEN);
  });

  const badFrames: Array<{ name: string; frame: () => Uint8Array | string; code: number }> = [
    { name: 'an unterminated varint', frame: () => Uint8Array.of(0xff, 0xff, 0xff, 0xff), code: 4400 },
    { name: 'an empty frame', frame: () => new Uint8Array(0), code: 4400 },
    {
      name: 'an update whose length prefix runs past the frame',
      frame: () => updateMessage(updateSetting('cut1', 'x')).subarray(0, 12),
      code: 4400
    },
    {
      name: 'an update cut inside its delete set (length prefix consistent)',
      frame: () => {
        const update = updateSetting('cut2', 'x');
        return updateMessage(update.subarray(0, update.length - 1));
      },
      code: 4400
    },
    {
      name: 'trailing bytes after an update',
      frame: () => Uint8Array.of(...updateMessage(updateSetting('trail', 'x')), 0, 0),
      code: 4400
    },
    { name: 'an unknown message type', frame: () => Uint8Array.of(7), code: 4400 },
    {
      name: 'an unknown sync message type',
      frame: () =>
        message(
          (e) => encoding.writeVarUint(e, 0),
          (e) => encoding.writeVarUint(e, 9),
          (e) => encoding.writeVarUint8Array(e, Uint8Array.of(0, 0))
        ),
      code: 4400
    },
    {
      name: 'an auth message',
      frame: () =>
        message(
          (e) => encoding.writeVarUint(e, 2),
          (e) => encoding.writeVarUint(e, 0),
          (e) => encoding.writeVarString(e, 'let me in')
        ),
      code: 4400
    },
    {
      name: 'a garbled awareness update',
      frame: () =>
        message(
          (e) => encoding.writeVarUint(e, 1),
          (e) => encoding.writeVarUint8Array(e, Uint8Array.of(1, 5, 1, 3, 0x7b, 0x7b, 0x7b))
        ),
      code: 4400
    },
    { name: 'a text frame', frame: () => 'hello', code: 1003 },
    {
      name: 'a message over 1 MiB',
      frame: () => updateMessage(updateSetting('huge', new Uint8Array(1024 * 1024 + 16).fill(7))),
      code: 1009
    }
  ];

  for (const [i, { name, frame, code }] of badFrames.entries()) {
    it(`R16: ${name} closes only that connection (${code}); others carry on and storage is intact`, async () => {
      const before = setup((await readStoredDoc(server, cast.controlDoc)).doc).toJSON();
      const raw = await openAsAlice();
      raw.send(frame());
      expect((await raw.closed).code).toBe(code);
      await expectOthersCarryOn(`m${i + 1}`, { ...before, marker: undefined });
    });
  }
});
