import type { ClientMessage, ServerMessage } from '../domain/calls';

/**
 * The browser's end of the call signaling socket `/ws-signal/<conversationId>` (SPEC R111): one JSON
 * message per text frame, in both directions (src/lib/domain/calls.ts). It reconnects by itself with a
 * growing pause; every new connection starts with a `welcome` carrying a new peer id, so whoever was in
 * a call joins it again from there (the server dropped the old peer when the socket went, R116).
 */

/** What the client needs of a WebSocket (the browser's, or a fake in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export type SignalingStatus = 'connecting' | 'open' | 'closed';

const OPEN = 1;

/** The server's close for someone no longer a member: reconnecting would only be refused. */
export const CLOSE_NOT_A_MEMBER = 4401;

/** Pauses before reconnecting: 0.5 s, doubling up to 10 s. */
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 10_000;

export function getSignalingUrl(
  conversationId: string,
  loc: Pick<Location, 'protocol' | 'host'> = location
): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws-signal/${encodeURIComponent(conversationId)}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function isMediaState(value: unknown): boolean {
  return isObject(value) && typeof value.audio === 'boolean' && typeof value.video === 'boolean';
}

function isPeer(value: unknown): boolean {
  return (
    isObject(value) &&
    isString(value.peerId) &&
    isString(value.userId) &&
    isString(value.name) &&
    isMediaState(value.media)
  );
}

function isSignalData(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (value.kind === 'offer' || value.kind === 'answer') return isString(value.sdp);
  return value.kind === 'candidate' && isObject(value.candidate) && isString(value.candidate.candidate);
}

/**
 * A server frame as a `ServerMessage`, or `null` when it is not one this page understands (a newer
 * server's message, or garbage): such frames are skipped, never acted on.
 */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (!isString(data)) return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  const ok = (() => {
    switch (value.type) {
      case 'welcome':
        return isString(value.peerId) && Array.isArray(value.iceServers);
      case 'joined':
        return isString(value.room) && Array.isArray(value.peers) && value.peers.every(isPeer);
      case 'peer-joined':
        return isString(value.room) && isPeer(value.peer);
      case 'peer-left':
        return isString(value.room) && isString(value.peerId);
      case 'peer-media':
        return isString(value.room) && isString(value.peerId) && isMediaState(value.media);
      case 'signal':
        return isString(value.from) && isSignalData(value.data);
      case 'left':
        return isString(value.room) && isString(value.reason) && isString(value.message);
      case 'occupancy':
        return (
          isObject(value.calls) &&
          Object.values(value.calls).every(
            (list) =>
              Array.isArray(list) && list.every((m) => isObject(m) && isString(m.userId) && isString(m.name))
          )
        );
      case 'error':
        return isString(value.code) && isString(value.message);
      default:
        return false;
    }
  })();
  return ok ? (value as unknown as ServerMessage) : null;
}

export class SignalingClient {
  #url: string;
  #createSocket: SocketFactory;
  #socket: SocketLike | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #attempts = 0;
  #closed = false;
  #status: SignalingStatus = 'closed';
  #onMessage: (message: ServerMessage) => void;
  #onStatus: (status: SignalingStatus) => void;
  #onFinalClose: (code: number, reason: string) => void;
  #setTimer: (run: () => void, ms: number) => ReturnType<typeof setTimeout>;
  #clearTimer: (timer: ReturnType<typeof setTimeout>) => void;

  constructor({
    url,
    onMessage,
    onStatus = () => {},
    onFinalClose = () => {},
    createSocket = (u) => new WebSocket(u) as unknown as SocketLike,
    setTimer = (run, ms) => setTimeout(run, ms),
    clearTimer = (timer) => clearTimeout(timer)
  }: {
    url: string;
    onMessage: (message: ServerMessage) => void;
    onStatus?: (status: SignalingStatus) => void;
    /** The server closed for good (4401): no reconnect. */
    onFinalClose?: (code: number, reason: string) => void;
    createSocket?: SocketFactory;
    setTimer?: (run: () => void, ms: number) => ReturnType<typeof setTimeout>;
    clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
  }) {
    this.#url = url;
    this.#onMessage = onMessage;
    this.#onStatus = onStatus;
    this.#onFinalClose = onFinalClose;
    this.#createSocket = createSocket;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  get status(): SignalingStatus {
    return this.#status;
  }

  #setStatus(status: SignalingStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#onStatus(status);
  }

  /** Opens the socket (and keeps it open, reconnecting, until `close()`). */
  connect(): void {
    if (this.#closed || this.#socket) return;
    this.#setStatus('connecting');
    let socket: SocketLike;
    try {
      socket = this.#createSocket(this.#url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#attempts = 0;
      this.#setStatus('open');
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      const message = parseServerMessage(event.data);
      if (message) this.#onMessage(message);
    };
    socket.onerror = () => {};
    socket.onclose = ({ code, reason }) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (code === CLOSE_NOT_A_MEMBER) {
        this.#closed = true;
        this.#setStatus('closed');
        this.#onFinalClose(code, reason);
        return;
      }
      this.#setStatus('closed');
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer !== null) return;
    const ms = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.#attempts);
    this.#attempts++;
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      this.connect();
    }, ms);
  }

  /** Sends one message; `false` when the socket is not open (nothing is queued: state is re-sent on welcome). */
  send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes for good: no reconnect. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      try {
        socket.close(1000);
      } catch {
        // Already closing.
      }
    }
    this.#setStatus('closed');
  }
}
