/**
 * Clients of the sync server for integration tests: the stock `y-websocket` provider (what the app
 * uses) with a cookie, and a raw `ws` socket for frames the provider would never send.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectDocOptions {
  /** The server's `http://host:port` (or its `ws://host:port/ws` endpoint). */
  baseUrl: string;
  docName: string;
  /** `parley_session=…` or `parley_guest=…`; empty for an anonymous attempt. */
  cookie: string;
  /** Origin header; the server's own origin unless set. */
  origin?: string;
  /** Start from an existing replica (e.g. one that holds offline changes). */
  doc?: Y.Doc;
}

export interface DocClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Resolves once the provider has received the server's sync step 2 on its current connection. */
  whenSynced(): Promise<void>;
  /** The first close the server gave this client (at once if it already happened); rejects after `timeoutMs`. */
  closedEvent(timeoutMs?: number): Promise<CloseInfo>;
  /** Every close seen so far, oldest first. */
  readonly closes: CloseInfo[];
  /** True once the provider gave up for good (`closed` event: a 44xx close code). */
  readonly isClosedForGood: boolean;
  destroy(): void;
}

/** `ws://host:port/ws` for either form of base URL. */
export function getWsEndpoint(baseUrl: string): string {
  if (/^wss?:/.test(baseUrl)) return baseUrl.replace(/\/+$/, '');
  return `${baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;
}

/** The browser-visible origin of the server, which is what a same-origin page sends. */
export function getOrigin(baseUrl: string): string {
  return new URL(baseUrl.replace(/^ws/, 'http')).origin;
}

/** A `ws` WebSocket that sends the given headers, in the shape the provider's `WebSocketPolyfill` wants. */
function webSocketWithHeaders(headers: Record<string, string>): typeof globalThis.WebSocket {
  class HeaderWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  // The provider only uses the browser-compatible members (onopen, onmessage, send, close…), which `ws` has.
  return HeaderWebSocket as unknown as typeof globalThis.WebSocket;
}

function buildHeaders(baseUrl: string, cookie: string, origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { origin: origin ?? getOrigin(baseUrl) };
  if (cookie) headers.cookie = cookie;
  return headers;
}

export function connectDoc(options: ConnectDocOptions): DocClient {
  const doc = options.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(getWsEndpoint(options.baseUrl), options.docName, doc, {
    WebSocketPolyfill: webSocketWithHeaders(buildHeaders(options.baseUrl, options.cookie, options.origin)),
    // Node has BroadcastChannel: two providers in one test process would otherwise sync with each other
    // directly, bypassing the server whose checks the tests are about.
    disableBc: true,
    maxBackoffTime: 200
  });
  const closes: CloseInfo[] = [];
  const closeWaiters: Array<(info: CloseInfo) => void> = [];
  let closedForGood = false;
  provider.on('connection-close', (event) => {
    // `null` when the provider closed the socket itself (destroy, watchdog): not the server's answer.
    if (!event) return;
    const info = { code: event.code, reason: String(event.reason ?? '') };
    closes.push(info);
    for (const resolve of closeWaiters.splice(0)) resolve(info);
  });
  provider.on('closed', () => {
    closedForGood = true;
  });
  return {
    doc,
    provider,
    whenSynced() {
      if (provider.synced) return Promise.resolve();
      return new Promise((resolve) => {
        const onSync = (synced: boolean) => {
          if (!synced) return;
          provider.off('sync', onSync);
          resolve();
        };
        provider.on('sync', onSync);
      });
    },
    closedEvent(timeoutMs = 5_000) {
      if (closes.length > 0) return Promise.resolve(closes[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`No close from the server on ${options.docName} within ${timeoutMs} ms`)),
          timeoutMs
        );
        closeWaiters.push((info) => {
          clearTimeout(timer);
          resolve(info);
        });
      });
    },
    closes,
    get isClosedForGood() {
      return closedForGood;
    },
    destroy() {
      provider.destroy();
      doc.destroy();
    }
  };
}

export interface RawSocket {
  ws: WebSocket;
  /** Binary frames received from the server, in order. */
  readonly received: Uint8Array[];
  /** Resolves when the upgrade succeeded; rejects with the HTTP status when it was refused. */
  opened: Promise<void>;
  closed: Promise<CloseInfo>;
  send(data: Uint8Array | string): void;
}

/** A bare socket speaking whatever the test writes: for crafted, truncated or oversized frames. */
export function openRawSocket(options: Omit<ConnectDocOptions, 'doc'>): RawSocket {
  const ws = new WebSocket(`${getWsEndpoint(options.baseUrl)}/${options.docName}`, {
    headers: buildHeaders(options.baseUrl, options.cookie, options.origin)
  });
  const received: Uint8Array[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) received.push(new Uint8Array(data as Buffer));
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
  opened.catch(() => {});
  ws.on('error', () => {});
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  return {
    ws,
    received,
    opened,
    closed,
    send(data) {
      ws.send(data, { binary: typeof data !== 'string' });
    }
  };
}

/**
 * Attempts an upgrade and reports the server's HTTP answer: 101 when the socket opened (it is closed
 * again at once), otherwise the refusal's status and body.
 */
export function tryUpgrade(
  options: Omit<ConnectDocOptions, 'doc'>
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${getWsEndpoint(options.baseUrl)}/${options.docName}`, {
      headers: buildHeaders(options.baseUrl, options.cookie, options.origin)
    });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    ws.once('error', reject);
  });
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/**
 * Opens a socket by hand and sends `frames` in the same TCP write as the upgrade request, so they reach
 * the server before anything else can happen on the connection (in particular, before the document
 * has loaded). Collects the server's frames until `until` holds or the server closes.
 */
export function upgradeWithEarlyFrames(options: {
  baseUrl: string;
  docName: string;
  cookie: string;
  frames: Uint8Array[];
  until: (frames: ServerFrame[]) => boolean;
  timeoutMs?: number;
}): Promise<{ status: number; frames: ServerFrame[] }> {
  const url = new URL(getWsEndpoint(options.baseUrl).replace(/^ws/, 'http'));
  const request =
    `GET ${url.pathname}/${options.docName} HTTP/1.1\r\n` +
    `Host: ${url.host}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
    'Sec-WebSocket-Version: 13\r\n' +
    `Origin: ${getOrigin(options.baseUrl)}\r\n` +
    `Cookie: ${options.cookie}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let buffer = Buffer.alloc(0);
    let status = 0;
    const frames: ServerFrame[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Timed out; received ${frames.length} frame(s)`));
    }, options.timeoutMs ?? 5_000);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, frames });
    };
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(request), ...options.frames.map(maskedBinaryFrame)]));
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (status === 0) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        buffer = buffer.subarray(end + 4);
        if (status !== 101) return finish();
      }
      for (;;) {
        const frame = readServerFrame(buffer);
        if (!frame) break;
        buffer = buffer.subarray(frame.size);
        frames.push({ opcode: frame.opcode, payload: frame.payload });
        if (frame.opcode === 8 || options.until(frames)) return finish();
      }
    });
    socket.on('close', () => finish());
  });
}

/** Client frames must be masked (RFC 6455 §5.3). */
function maskedBinaryFrame(payload: Uint8Array): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x82, 0x80 | length])
      : length < 65536
        ? Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff])
        : (() => {
            const h = Buffer.alloc(10);
            h[0] = 0x82;
            h[1] = 0x80 | 127;
            h.writeBigUInt64BE(BigInt(length), 2);
            return h;
          })();
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

function readServerFrame(buffer: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buffer.length < 2) return null;
  const opcode = buffer[0] & 0x0f;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return { opcode, payload: buffer.subarray(offset, offset + length), size: offset + length };
}
