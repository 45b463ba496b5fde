/**
 * The call signaling hub (SPEC R110–R119). Media goes peer to peer (a WebRTC mesh per room); the server
 * only relays what the peers need to find each other, over `/ws-signal/<conversationId>`: JSON text
 * frames in the shapes of src/lib/domain/calls.ts, one message each.
 *
 * Every connection (a tab) gets a peer id, the ICE servers and the conversation's occupancy. `join`
 * is decided with `mayJoinCall` against where the session puts the member now (`locate`, R114); the
 * hub then keeps the calls following the session (R115): every change to the conversation's control
 * document, every role change and every phase change that comes by the clock alone (a timer running
 * out, the end of closing) re-decides every peer in a call of that conversation, and takes out the ones
 * no longer allowed there (`left`, reason `moved` or `access`).
 *
 * Joins and those revisions run one after another per conversation, so a join decided on a state is
 * never applied after a revision that saw a newer one. Each connection's messages are handled in order.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  MAIN_CALL,
  MAX_CALL_PEERS,
  MAX_SIGNAL_BYTES,
  mayJoinCall,
  parseClientMessage,
  type CallPeer,
  type ClientMessage,
  type IceServer,
  type LeftReason,
  type MediaState,
  type Occupancy,
  type ServerMessage
} from '../../src/lib/domain/calls';
import type { ConversationId, UserId } from '../../src/lib/domain/ids';
import type { Role } from '../../src/lib/domain/roles';
import type { SessionRecord } from '../../src/lib/domain/session';
import type { Identity } from '../auth/identity';
import type { Breakout, Place } from '../breakout/index';
import { upgradeAdmitted } from '../http/upgrade';
import type { Persistence } from '../persistence/types';
import { SyncClosedError, type SyncServer } from '../sync/types';
import { getNextPhaseChange } from './phase';
import { admitSignaling } from './upgrade';
import { startKeepalive } from '../http/keepalive';

export { SIGNAL_PATH_PREFIX, getSignalTarget } from './upgrade';
export { getNextPhaseChange } from './phase';

/** Close codes of the signaling socket (docs/API.md, "Calls"). */
export const CALL_CLOSE = {
  /** Binary, unparsable, unknown or oversized frame (R117). */
  malformed: 4400,
  /** No longer a member of the conversation. */
  accessRevoked: 4401,
  /** The server is shutting down: reconnect. */
  goingAway: 1001,
  /** The server failed on a message: reconnect. */
  internalError: 1011,
  /** Too many messages waiting at once: reconnect later. */
  tryAgainLater: 1013
} as const;

export interface CallHubOptions {
  persistence: Pick<Persistence, 'getConversation' | 'getMembership'>;
  /** The member behind an upgrade request, from its session or guest cookie; `null` answers 401. */
  identify: (req: IncomingMessage) => Promise<Identity | null>;
  /** `false` answers 403. */
  isAllowedOrigin: (req: IncomingMessage) => boolean;
  /** Tells of control document changes and role changes (R115). */
  sync: Pick<SyncServer, 'onControlChange' | 'onAccessRevised'>;
  /** Where a member is now (R75), by the server's clock. */
  locate: Breakout['locate'];
  /** The server's clock, the one `locate` uses. */
  now: () => number;
  /** Handed to every connection in `welcome` (R113). Default none. */
  iceServers?: IceServer[];
  /** Keepalive ping period; a socket that missed one pong by the next ping is cut. Default 30 s. */
  pingIntervalMs?: number;
  /**
   * Longest wait between two looks at the clock while a phase change is due in a conversation with
   * calls (the timer is set for the moment itself when it is nearer). Catches a clock that jumps
   * (tests move it). Default 30 s.
   */
  phaseCheckMs?: number;
  /** Where unexpected failures are reported. Default `console.error`. */
  onError?: (error: unknown, context: string) => void;
}

export interface CallHub {
  /** Handles an HTTP upgrade on `/ws-signal/<conversationId>`: 401/403/404 as plain HTTP before the switch. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Numbers for tests. */
  stats(): { connections: number; inCalls: number };
  /** Closes every signaling connection (1001) and stops the hub's timers. */
  close(): Promise<void>;
}

/** More messages than this waiting behind a join closes the connection (1013). */
const MAX_INBOX = 256;
/** How long shutdown waits for clients to answer the close frame before cutting their sockets. */
const CLOSE_GRACE_MS = 1_000;

const NOT_A_MEMBER = 'You are no longer a member of this conversation.';
const LEFT_SENTENCES: Record<Exclude<LeftReason, 'moved'>, string> = {
  left: 'You left the call.',
  access: 'Your role in this conversation changed, so you may no longer be in this call.',
  replaced: 'You joined this call in another tab or window, so this one left it.'
};

/** One signaling connection: a tab of a member, and the call it is in. */
class Peer {
  readonly peerId = `p_${randomBytes(16).toString('base64url')}`;
  /** The call this connection is in, or `null`. */
  room: string | null = null;
  media: MediaState = { audio: false, video: false };
  /** Order of joining its call: peers and occupancy are listed in this order. */
  joinedSeq = 0;
  /** The role the last decision saw: a revision that finds another one says `access`, not `moved`. */
  role: Role;
  isAlive = true;
  /** Out of the hub for good (closed, or being closed); nothing more is handled or sent. */
  detached = false;
  /** Parsed messages waiting for the one before them (a join) to finish. */
  readonly inbox: ClientMessage[] = [];
  /** A drain of `inbox` is under way (or the welcome is not sent yet). */
  draining = true;

  constructor(
    readonly ws: WebSocket,
    readonly identity: Identity,
    readonly conversationId: ConversationId,
    role: Role
  ) {
    this.role = role;
  }

  get userId(): UserId {
    return this.identity.userId;
  }

  describe(): CallPeer {
    return { peerId: this.peerId, userId: this.userId, name: this.identity.displayName, media: this.media };
  }

  send(message: ServerMessage): void {
    if (this.detached || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message));
  }
}

/** The connections of one conversation, their queue of decisions and the timer of the next phase change. */
interface Conversation {
  id: ConversationId;
  peers: Map<string, Peer>;
  /** Joins and revisions, one after another. */
  queue: Promise<unknown>;
  /** A revision is queued and has not started: later triggers are covered by it. */
  revisionQueued: boolean;
  /** The next moment the session's phase changes by the clock, while someone is in a call. */
  due: number | null;
  timer: NodeJS.Timeout | undefined;
}

/**
 * `ws` closes a connection whose message is over `maxPayload` with 1009 on its own; the signaling
 * protocol says 4400 for an oversized frame like for any other malformed one (R117).
 */
class SignalSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    if (code === 1009) {
      super.close(CALL_CLOSE.malformed, `A signaling message may be at most ${MAX_SIGNAL_BYTES / 1024} KiB.`);
      return;
    }
    super.close(code, data);
  }
}

export function createCallHub(options: CallHubOptions): CallHub {
  const { persistence, identify, isAllowedOrigin, locate, now } = options;
  const iceServers = options.iceServers ?? [];
  const phaseCheckMs = options.phaseCheckMs ?? 30_000;
  const onError =
    options.onError ?? ((error: unknown, context: string) => console.error(`[calls] ${context}:`, error));

  // maxPayload makes `ws` refuse an oversized message before buffering it whole.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_SIGNAL_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: SignalSocket
  });
  const conversations = new Map<ConversationId, Conversation>();
  const everyone = new Set<Peer>();
  let joinSeq = 0;
  let closing: Promise<void> | null = null;

  const stopControl = options.sync.onControlChange((conversationId) => scheduleRevision(conversationId));
  const stopAccess = options.sync.onAccessRevised((conversationId, userId, role) => {
    const conversation = conversations.get(conversationId);
    if (!conversation) return;
    if (role === null) {
      for (const peer of [...conversation.peers.values()]) {
        if (peer.userId === userId) closePeer(peer, CALL_CLOSE.accessRevoked, NOT_A_MEMBER);
      }
      return;
    }
    scheduleRevision(conversationId);
  });

  const stopKeepalive = startKeepalive(everyone, options.pingIntervalMs);

  const isClosedError = (error: unknown) => error instanceof SyncClosedError && closing !== null;

  function conversationOf(id: ConversationId): Conversation {
    let conversation = conversations.get(id);
    if (!conversation) {
      conversation = {
        id,
        peers: new Map(),
        queue: Promise.resolve(),
        revisionQueued: false,
        due: null,
        timer: undefined
      };
      conversations.set(id, conversation);
    }
    return conversation;
  }

  /** Runs `task` after the conversation's earlier joins and revisions, whatever their outcome. */
  function serialize<T>(conversation: Conversation, task: () => Promise<T>): Promise<T> {
    const run = conversation.queue.catch(() => {}).then(task);
    conversation.queue = run;
    return run;
  }

  /** The peers in the call of `room`, in the order they joined. */
  function callOf(conversation: Conversation, room: string): Peer[] {
    return [...conversation.peers.values()]
      .filter((peer) => peer.room === room)
      .sort((a, b) => a.joinedSeq - b.joinedSeq);
  }

  const hasCalls = (conversation: Conversation) =>
    [...conversation.peers.values()].some((peer) => peer.room !== null);

  function occupancy(conversation: Conversation): Occupancy {
    const calls: Occupancy = {};
    const inCalls = [...conversation.peers.values()]
      .filter((peer) => peer.room !== null)
      .sort((a, b) => a.joinedSeq - b.joinedSeq);
    for (const peer of inCalls) {
      (calls[peer.room!] ??= []).push({ userId: peer.userId, name: peer.identity.displayName });
    }
    return calls;
  }

  /** Who is in which call, to every connection of the conversation (R118). */
  function announceOccupancy(conversation: Conversation): void {
    const message: ServerMessage = { type: 'occupancy', calls: occupancy(conversation) };
    for (const peer of conversation.peers.values()) peer.send(message);
  }

  /**
   * Takes `peer` out of its call: the others there get `peer-left`; `peer` gets `left` when a reason is
   * given. The caller announces the occupancy.
   */
  function takeOut(peer: Peer, reason: LeftReason | null, message?: string): void {
    const room = peer.room;
    if (room === null) return;
    peer.room = null;
    const conversation = conversations.get(peer.conversationId);
    for (const other of conversation ? callOf(conversation, room) : []) {
      other.send({ type: 'peer-left', room, peerId: peer.peerId });
    }
    if (reason) {
      peer.send({
        type: 'left',
        room,
        reason,
        message: message ?? (reason === 'moved' ? movedSentence(true) : LEFT_SENTENCES[reason])
      });
    }
  }

  /** Removes a connection from the hub at once (its call and its conversation); idempotent. */
  function detach(peer: Peer): void {
    if (peer.detached) return;
    const wasInCall = peer.room !== null;
    // At shutdown everyone goes: nobody needs to hear of the others leaving.
    if (closing) peer.room = null;
    else takeOut(peer, null);
    peer.detached = true;
    everyone.delete(peer);
    const conversation = conversations.get(peer.conversationId);
    if (!conversation) return;
    conversation.peers.delete(peer.peerId);
    if (conversation.peers.size === 0) {
      clearTimeout(conversation.timer);
      conversations.delete(conversation.id);
      return;
    }
    if (wasInCall && !closing) {
      announceOccupancy(conversation);
      if (!hasCalls(conversation)) setDue(conversation, null);
    }
  }

  function closePeer(peer: Peer, code: number, reason: string): void {
    detach(peer);
    if (peer.ws.readyState === WebSocket.OPEN || peer.ws.readyState === WebSocket.CONNECTING) {
      peer.ws.close(code, reason);
    }
  }

  // ---- the session's clock (R71, R115) ----

  /** Remembers when the session's phase changes next and wakes up then, while someone is in a call. */
  function setDue(conversation: Conversation, session: SessionRecord | null): void {
    clearTimeout(conversation.timer);
    conversation.timer = undefined;
    conversation.due = hasCalls(conversation) && !closing ? getNextPhaseChange(session, now()) : null;
    if (conversation.due !== null) arm(conversation);
  }

  function arm(conversation: Conversation): void {
    const due = conversation.due;
    if (due === null) return;
    const wait = Math.max(0, Math.min(due - now(), phaseCheckMs));
    conversation.timer = setTimeout(() => {
      conversation.timer = undefined;
      if (conversation.due !== due || conversations.get(conversation.id) !== conversation) return;
      if (now() >= due) scheduleRevision(conversation.id);
      else arm(conversation);
    }, wait);
    conversation.timer.unref();
  }

  // ---- calls follow the session (R115) ----

  function scheduleRevision(conversationId: ConversationId): void {
    const conversation = conversations.get(conversationId);
    if (!conversation || closing || conversation.revisionQueued || !hasCalls(conversation)) return;
    conversation.revisionQueued = true;
    serialize(conversation, () => {
      conversation.revisionQueued = false;
      return revise(conversation);
    }).catch((error: unknown) => {
      if (!isClosedError(error)) onError(error, `re-deciding the calls of ${conversationId}`);
    });
  }

  /** Re-decides every peer in a call of the conversation; takes out the ones no longer allowed there. */
  async function revise(conversation: Conversation): Promise<void> {
    const inCalls = () => [...conversation.peers.values()].filter((peer) => peer.room !== null);
    if (inCalls().length === 0 || closing) {
      setDue(conversation, null);
      return;
    }
    const places = new Map<string, Place>();
    const keyOf = (peer: Peer) => `${peer.userId}\u0000${peer.room}`;
    let session: SessionRecord | null = null;
    for (const peer of inCalls()) {
      const key = keyOf(peer);
      if (places.has(key)) continue;
      const place = await locate({ conversationId: conversation.id, userId: peer.userId, room: peer.room! });
      places.set(key, place);
      session = place.session;
    }
    if (closing) return;
    // Decided and applied in one synchronous step, on what was just read. A peer that left meanwhile
    // is skipped; none can have joined another call (joins wait in the same queue).
    let changed = false;
    for (const peer of inCalls()) {
      const place = places.get(keyOf(peer));
      if (!place) continue;
      if (place.role === null) {
        closePeer(peer, CALL_CLOSE.accessRevoked, NOT_A_MEMBER);
        continue;
      }
      const room = peer.room!;
      const roomExists = room === MAIN_CALL || place.roomExists;
      if (!mayJoinCall({ role: place.role, room, location: place.location, roomExists })) {
        if (place.role !== peer.role) takeOut(peer, 'access');
        else takeOut(peer, 'moved', movedSentence(roomExists));
        changed = true;
      }
      peer.role = place.role;
    }
    if (changed) announceOccupancy(conversation);
    setDue(conversation, session);
  }

  // ---- messages ----

  function receive(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.detached) return;
    if (isBinary) {
      closePeer(peer, CALL_CLOSE.malformed, 'Signaling messages are JSON text frames.');
      return;
    }
    const message = parseClientMessage(rawToString(data));
    if (!message) {
      closePeer(
        peer,
        CALL_CLOSE.malformed,
        'This is not a signaling message: malformed JSON, an unknown type or a missing or wrong field.'
      );
      return;
    }
    peer.inbox.push(message);
    if (peer.inbox.length > MAX_INBOX) {
      closePeer(peer, CALL_CLOSE.tryAgainLater, 'Too many signaling messages at once.');
      return;
    }
    if (!peer.draining) void drain(peer);
  }

  async function drain(peer: Peer): Promise<void> {
    peer.draining = true;
    try {
      while (!peer.detached && peer.inbox.length > 0) {
        const message = peer.inbox.shift()!;
        if (message.type === 'join') await join(peer, message);
        else handleAtOnce(peer, message);
      }
    } catch (error) {
      if (isClosedError(error)) {
        closePeer(peer, CALL_CLOSE.goingAway, 'The server is restarting.');
      } else {
        onError(error, `handling a signaling message in ${peer.conversationId}`);
        closePeer(peer, CALL_CLOSE.internalError, 'The server failed on a signaling message; reconnect.');
      }
    } finally {
      peer.draining = false;
    }
  }

  function handleAtOnce(peer: Peer, message: Exclude<ClientMessage, { type: 'join' }>): void {
    const conversation = conversations.get(peer.conversationId);
    if (!conversation) return;
    switch (message.type) {
      case 'leave': {
        if (peer.room === null) {
          peer.send({ type: 'error', code: 'not-in-call', message: 'You are not in a call.' });
          return;
        }
        takeOut(peer, 'left');
        announceOccupancy(conversation);
        if (!hasCalls(conversation)) setDue(conversation, null);
        return;
      }
      case 'media': {
        peer.media = message.media;
        const room = peer.room;
        if (room === null) return;
        for (const other of callOf(conversation, room)) {
          if (other !== peer)
            other.send({ type: 'peer-media', room, peerId: peer.peerId, media: peer.media });
        }
        return;
      }
      case 'signal': {
        if (peer.room === null) {
          peer.send({
            type: 'error',
            code: 'not-in-call',
            message: 'Join a call before signaling to anyone.'
          });
          return;
        }
        const target = conversation.peers.get(message.to);
        if (!target || target === peer || target.room !== peer.room) {
          peer.send({
            type: 'error',
            code: 'unknown-peer',
            message: 'This person is not in your call (any more).'
          });
          return;
        }
        target.send({ type: 'signal', from: peer.peerId, data: message.data });
        return;
      }
    }
  }

  /** `join` (R110, R112, R114, R116): decided on where the session puts the member now. */
  function join(peer: Peer, message: Extract<ClientMessage, { type: 'join' }>): Promise<void> {
    const conversation = conversationOf(peer.conversationId);
    const { room } = message;
    return serialize(conversation, async () => {
      if (peer.detached) return;
      const place = await locate({ conversationId: peer.conversationId, userId: peer.userId, room });
      if (peer.detached || closing) return;
      if (place.role === null) {
        closePeer(peer, CALL_CLOSE.accessRevoked, NOT_A_MEMBER);
        return;
      }
      peer.role = place.role;
      const roomExists = room === MAIN_CALL || place.roomExists;
      if (!mayJoinCall({ role: place.role, room, location: place.location, roomExists })) {
        peer.send({ type: 'error', code: 'forbidden', message: forbiddenSentence(place, roomExists) });
        return;
      }
      const others = callOf(conversation, room).filter((other) => other !== peer);
      // Another tab of the same member gives its place to this one (R116).
      const replaced = others.filter((other) => other.userId === peer.userId);
      const staying = others.filter((other) => other.userId !== peer.userId);
      if (staying.length >= MAX_CALL_PEERS) {
        peer.send({
          type: 'error',
          code: 'full',
          // The browser shows this sentence and knows it (src/lib/state/call.svelte.ts).
          message: `This call is full: a call holds at most ${MAX_CALL_PEERS} people.`
        });
        return;
      }
      // Joining the call one is in starts over: the others drop the old connection to this peer.
      takeOut(peer, null);
      for (const old of replaced) takeOut(old, 'replaced');
      peer.room = room;
      peer.media = message.media;
      peer.joinedSeq = ++joinSeq;
      peer.send({ type: 'joined', room, peers: staying.map((other) => other.describe()) });
      for (const other of staying) other.send({ type: 'peer-joined', room, peer: peer.describe() });
      announceOccupancy(conversation);
      setDue(conversation, place.session);
    });
  }

  // ---- connections ----

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    upgradeAdmitted(req, socket, head, {
      wss,
      isClosing: () => closing !== null,
      admit: (request) => admitSignaling(request, { persistence, identify, isAllowedOrigin }),
      accept: (ws, admission) =>
        accept(ws, admission.identity, admission.target.conversationId, admission.role),
      onError: (error) => onError(error, 'admitting a signaling upgrade'),
      failure: 'The server could not open the call; try again.'
    });
  }

  function accept(ws: WebSocket, identity: Identity, conversationId: ConversationId, role: Role): void {
    if (closing) {
      ws.close(CALL_CLOSE.goingAway, 'The server is shutting down.');
      return;
    }
    const peer = new Peer(ws, identity, conversationId, role);
    const conversation = conversationOf(conversationId);
    conversation.peers.set(peer.peerId, peer);
    everyone.add(peer);

    ws.on('pong', () => {
      peer.isAlive = true;
    });
    // `ws` reports protocol violations and oversized messages here and closes the socket itself.
    ws.on('error', () => {});
    // A peer that vanishes leaves its call at once for everyone (R116).
    ws.on('close', () => detach(peer));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        receive(peer, data, isBinary);
      } catch (error) {
        onError(error, `receiving a signaling message in ${conversationId}`);
        closePeer(peer, CALL_CLOSE.internalError, 'The server failed on a signaling message; reconnect.');
      }
    });

    // Now that a removal would reach this connection, the membership is read once more: one that came
    // between the admission and here would otherwise go unnoticed. Messages wait for the welcome.
    persistence
      .getMembership(conversationId, identity.userId)
      .then((membership) => {
        if (peer.detached) return;
        if (!membership) {
          closePeer(peer, CALL_CLOSE.accessRevoked, NOT_A_MEMBER);
          return;
        }
        peer.send({ type: 'welcome', peerId: peer.peerId, iceServers });
        peer.send({ type: 'occupancy', calls: occupancy(conversationOf(conversationId)) });
        void drain(peer);
      })
      .catch((error: unknown) => {
        onError(error, `welcoming a signaling connection in ${conversationId}`);
        closePeer(peer, CALL_CLOSE.internalError, 'The server could not open the call; reconnect.');
      });
  }

  async function shutDown(): Promise<void> {
    stopKeepalive();
    stopControl();
    stopAccess();
    const open = [...everyone];
    for (const conversation of conversations.values()) clearTimeout(conversation.timer);
    for (const peer of open) closePeer(peer, CALL_CLOSE.goingAway, 'The server is restarting.');
    conversations.clear();
    await waitForClosed(
      open.map((peer) => peer.ws),
      CLOSE_GRACE_MS
    );
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    handleUpgrade,
    stats: () => ({
      connections: everyone.size,
      inCalls: [...everyone].filter((peer) => peer.room !== null).length
    }),
    close() {
      closing ??= shutDown();
      return closing;
    }
  };
}

function movedSentence(roomExists: boolean): string {
  return roomExists
    ? 'You are in another room now, so you left this room’s call. Join the call of the room you are in.'
    : 'This room was removed, so you left its call.';
}

function forbiddenSentence(place: Place, roomExists: boolean): string {
  if (!roomExists) return 'There is no such room in this conversation. It may have been removed.';
  if (place.location === null) {
    return 'You are in the main room, so you can join the main room’s call; a breakout room’s call is for the people in that room and the moderators.';
  }
  return 'You are in a breakout room, so you can join its call only; other calls are for the people in those rooms and the moderators.';
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Waits for the sockets to finish their closing handshake; cuts the ones that do not in time. */
async function waitForClosed(sockets: WebSocket[], graceMs: number): Promise<void> {
  const pending = sockets.filter((ws) => ws.readyState !== WebSocket.CLOSED);
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const allClosed = Promise.all(
    pending.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())))
  );
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([allClosed, graceOver]);
  clearTimeout(timer);
  for (const ws of pending) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}
