/**
 * Stock y-websocket clients for the benchmark, all in this process. Each has its own Y.Doc and socket; Parley
 * clients carry their own cookie, as browsers of different people would.
 */
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { writeSyncStep1 } from 'y-protocols/sync';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

const MESSAGE_SYNC = 0;

export interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
}

/** `ws` with fixed request headers, in the shape the provider constructs (`new WS(url, protocols)`). */
function getWebSocketWithHeaders(headers: Record<string, string>): typeof globalThis.WebSocket {
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers, perMessageDeflate: false });
    }
  }
  return WebSocketWithHeaders as unknown as typeof globalThis.WebSocket;
}

/**
 * A writer hears nothing back from the server (its own updates are not echoed), and a y-websocket
 * provider that has received nothing for 30 s closes and reconnects: mid-round, that would put a
 * reconnection into a sample. Writers therefore ask for the server's state every `WRITER_RESYNC_MS` (a
 * sync step 1, answered by a few bytes), which keeps them heard from. (y-websocket's own
 * `resyncInterval` does the same but needs a global `WebSocket`, which Node 20 lacks.)
 */
export const WRITER_RESYNC_MS = 10_000;

export function openClient({
  serverUrl,
  docName,
  headers = {},
  resyncMs = -1
}: {
  serverUrl: string;
  docName: string;
  headers?: Record<string, string>;
  /** Ask for the server's state this often (ms; off when ≤ 0); writers pass `WRITER_RESYNC_MS`. */
  resyncMs?: number;
}): Client {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(serverUrl, docName, doc, {
    connect: false,
    disableBc: true,
    maxBackoffTime: 1_000,
    WebSocketPolyfill: getWebSocketWithHeaders(headers)
  });
  // Presence is not what is measured: with no local state the provider neither announces nor renews
  // one, so no awareness traffic (N² through a relaying server) runs under the measured rounds.
  provider.awareness.setLocalState(null);
  provider.connect();
  if (resyncMs > 0) {
    const timer = setInterval(() => {
      if (!provider.wsconnected || !provider.ws) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      writeSyncStep1(encoder, doc);
      provider.ws.send(encoding.toUint8Array(encoder));
    }, resyncMs);
    timer.unref();
    doc.on('destroy', () => clearInterval(timer));
  }
  return { doc, provider };
}

/**
 * Resolves once the client is usable: synced with a server that holds the document, or merely connected
 * to the relay (which answers no handshake). Rejects on a final close (4xxx: refused) or after `timeoutMs`.
 */
export function waitReady(
  client: Client,
  { mode, timeoutMs }: { mode: 'synced' | 'connected'; timeoutMs: number }
): Promise<void> {
  const { provider } = client;
  const isReady = () => (mode === 'synced' ? provider.synced : provider.wsconnected);
  if (isReady()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      provider.off('sync', onChange);
      provider.off('status', onChange);
      provider.off('connection-close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onChange = () => {
      if (isReady()) done();
    };
    const onClose = (event: CloseEvent | null) => {
      if (event && event.code >= 4000) done(new Error(`connection refused with close code ${event.code}`));
    };
    const timer = setTimeout(() => done(new Error(`not ${mode} within ${timeoutMs} ms`)), timeoutMs);
    provider.on('sync', onChange);
    provider.on('status', onChange);
    provider.on('connection-close', onClose);
  });
}

export function closeClient({ doc, provider }: Client): void {
  provider.destroy();
  doc.destroy();
}
