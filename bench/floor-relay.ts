/**
 * The floor of the fan-out benchmark: a bare `ws` relay that forwards a document update's bytes, unchanged,
 * to every other socket on the same path. No Yjs, no state, no auth, no storage.
 *
 * Only sync-update frames (message type 0, sync type 2) are relayed. The handshake (sync step 1 and 2) and
 * awareness need a party that holds the document to answer them; relayed between clients instead, every
 * join would set all other clients replying to all others (an N² storm per join, N³ to connect N clients).
 */
import { WebSocketServer, WebSocket, type RawData } from 'ws';

const MESSAGE_SYNC = 0;
const SYNC_UPDATE = 2;

const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });

/**
 * A y-websocket provider that has received nothing for 30 s closes and reconnects. The writer of a round
 * receives nothing from this relay (updates go to the others), so after 30 s of rounds it would reconnect,
 * and the update it made meanwhile would never reach anyone: every later update waits on it, and all
 * later rounds are lost (the relay answers no handshake, so neither the writers' resync requests, see
 * bench/clients.ts, nor a reconnection would restore it). An empty awareness message (no states: a no-op
 * for the client) every 5 s keeps every socket heard from.
 */
const KEEPALIVE = new Uint8Array([1, 1, 0]);
const KEEPALIVE_MS = 5_000;
setInterval(() => {
  for (const peers of rooms.values()) {
    for (const peer of peers) if (peer.readyState === WebSocket.OPEN) peer.send(KEEPALIVE, { binary: true });
  }
}, KEEPALIVE_MS).unref();

function isSyncUpdate(data: Buffer): boolean {
  return data.length > 2 && data[0] === MESSAGE_SYNC && data[1] === SYNC_UPDATE;
}

wss.on('connection', (ws, request) => {
  const path = request.url ?? '/';
  let room = rooms.get(path);
  if (!room) {
    room = new Set();
    rooms.set(path, room);
  }
  const peers = room;
  peers.add(ws);

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(data) || !isSyncUpdate(data)) return;
    for (const peer of peers) {
      if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: true });
    }
  });
  ws.on('close', () => {
    peers.delete(ws);
    if (peers.size === 0) rooms.delete(path);
  });
});

wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`floor relay listening on port ${port}`);
});

process.on('SIGTERM', () => process.exit(0));
