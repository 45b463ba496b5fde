import { untrack } from 'svelte';
import { acquireCamera, acquireMedia, type AcquireResult, type LocalMedia } from '../calls/media';
import { Mesh, type PeerConnectionFactory, type PeerLinkState } from '../calls/mesh';
import {
  getSignalingUrl,
  SignalingClient,
  type SignalingStatus,
  type SocketFactory
} from '../calls/signaling';
import {
  MAIN_CALL,
  MAX_CALL_PEERS,
  mayJoinCall,
  type CallPeer,
  type ClientMessage,
  type IceServer,
  type MediaState,
  type Occupancy,
  type ServerMessage
} from '../domain/calls';
import type { Role } from '../domain/roles';

/**
 * - `idle`: not in a call; `joining`: "Start call"/"Join call" pressed, devices or the server's answer
 *   pending; `in-call`: in the call of `room`;
 * - `moving`: between two calls (the session moved this person, a moderator changed rooms, or the
 *   signaling socket is reconnecting): the microphone and camera stay as they were;
 * - `waiting`: the session put this person in a room whose view the page does not show yet ("Join
 *   <room>" when people are not moved automatically): the call goes on once they join the room.
 */
export type CallStatus = 'idle' | 'joining' | 'in-call' | 'moving' | 'waiting';

/** Where the page is, as the call needs it (read live: the session's state changes under it). */
export interface CallView {
  role: Role | null;
  /** The room the page shows (`SessionState.viewRoomId`), `null` for the main room. */
  viewRoomId: string | null;
  /** Where the session puts this user (`SessionState.location`, R75), `null` for the main room. */
  location: string | null;
  /** The rooms of the setup, for names and for `mayJoinCall`. */
  rooms: { id: string; name: string }[];
}

/** Someone else in this call, as a tile shows them. */
export interface CallParticipant {
  peerId: string;
  userId: string;
  name: string;
  media: MediaState;
  /** What has been received from them so far. */
  stream: MediaStream | null;
  link: PeerLinkState;
}

/** A move between calls waits this long for the page's view to follow before trying the room anyway. */
const FOLLOW_TIMEOUT_MS = 4_000;

export const FULL_SENTENCE = `This call is full: a call holds at most ${MAX_CALL_PEERS} people.`;

/**
 * The call of the room this page shows (SPEC R110–R119): the signaling connection (open for the whole
 * visit, so who is in which call shows in the room lists, R118), this page's microphone and camera, and
 * the mesh of the call it is in. Once in a call it follows the page: when the room the page shows
 * changes, or the server says the session moved this person (`left`, `moved`), it joins the call of the
 * room the page shows, keeping mute and camera as they were (R115). `destroy()` when leaving the page.
 */
export class CallState {
  status = $state<CallStatus>('idle');
  /** The call this page is in now (`MAIN_CALL` or a room id), or `null`. */
  room = $state<string | null>(null);
  /** The others in this call. */
  participants = $state.raw<CallParticipant[]>([]);
  /** This page's microphone and camera as chosen ("Mute", "Turn camera off"), kept across calls. */
  media = $state<MediaState>({ audio: true, video: true });
  localStream = $state.raw<MediaStream | null>(null);
  hasCamera = $state(false);
  hasMicrophone = $state(false);
  /** Who is in which call of the conversation (R118). */
  occupancy = $state.raw<Occupancy>({});
  signaling = $state<SignalingStatus>('closed');
  /** A refusal or failure, as the sentence to show. */
  error = $state<string | null>(null);
  /** Something to tell that is not a failure (audio only, moved, replaced by another tab). */
  notice = $state<string | null>(null);

  #me: { userId: string; displayName: string };
  #getView: () => CallView;
  #client: SignalingClient;
  #acquire: () => Promise<AcquireResult>;
  #acquireCamera: typeof acquireCamera;
  #createPeerConnection: PeerConnectionFactory | undefined;
  #setTimer: (run: () => void, ms: number) => ReturnType<typeof setTimeout>;
  #clearTimer: (timer: ReturnType<typeof setTimeout>) => void;
  #local: LocalMedia | null = null;
  #mesh: Mesh | null = null;
  #iceServers: IceServer[] = [];
  #welcomed = false;
  /** The person wants to be in a call: set by "Start/Join call", cleared by "Leave call" or a refusal. */
  #wanted = false;
  /** The room of the `join` sent and not answered yet. */
  #pending: string | null = null;
  /** The join was the page following the session, not a press of "Join call". */
  #following = false;
  /** The call the server just took this person out of: not joined again while the page still shows it. */
  #leftRoom: string | null = null;
  #followTimer: ReturnType<typeof setTimeout> | null = null;
  /** The next automatic join is the last try: a refusal of it ends the call here. */
  #finalTry = false;
  #generation = 0;
  #cleanups: (() => void)[] = [];
  #destroyed = false;

  readonly view: CallView = $derived.by(() => this.#getView());
  /** The call of the room the page shows. */
  readonly target: string = $derived(this.view.viewRoomId ?? MAIN_CALL);
  readonly targetName: string = $derived(this.roomName(this.target));
  /** This user may be in the call of the room the page shows (R114). */
  readonly mayJoin: boolean = $derived.by(() =>
    mayJoinCall({
      role: this.view.role,
      room: this.target,
      location: this.view.location,
      roomExists: this.view.rooms.some((r) => r.id === this.target)
    })
  );
  readonly inCall: boolean = $derived(this.status === 'in-call');
  /** Pressed "Start/Join call" and not left since (in a call, joining one or between two). */
  readonly active: boolean = $derived(this.status !== 'idle');
  /** People in the call of the room the page shows. */
  readonly targetCount: number = $derived(this.countOf(this.target));
  /** Someone is in the call of the room the page shows: "Join call" rather than "Start call". */
  readonly running: boolean = $derived(this.targetCount > 0);
  /** The call of the room the page shows has no seat left for this page (R112). */
  readonly full: boolean = $derived(
    this.room !== this.target &&
      this.targetCount >= MAX_CALL_PEERS &&
      !(this.occupancy[this.target] ?? []).some((m) => m.userId === this.#me.userId)
  );

  constructor({
    conversationId,
    me,
    getView,
    createSocket,
    acquire = () => acquireMedia(),
    getCamera = acquireCamera,
    createPeerConnection,
    setTimer = (run, ms) => setTimeout(run, ms),
    clearTimer = (timer) => clearTimeout(timer),
    url
  }: {
    conversationId: string;
    me: { userId: string; displayName: string };
    getView: () => CallView;
    /** Tests: a fake socket; the browser's WebSocket otherwise. */
    createSocket?: SocketFactory;
    acquire?: () => Promise<AcquireResult>;
    getCamera?: typeof acquireCamera;
    createPeerConnection?: PeerConnectionFactory;
    setTimer?: (run: () => void, ms: number) => ReturnType<typeof setTimeout>;
    clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
    url?: string;
  }) {
    this.#me = me;
    this.#getView = getView;
    this.#acquire = acquire;
    this.#acquireCamera = getCamera;
    this.#createPeerConnection = createPeerConnection;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
    this.#client = new SignalingClient({
      url: url ?? getSignalingUrl(conversationId),
      createSocket,
      setTimer,
      clearTimer,
      onMessage: (message) => this.handle(message),
      onStatus: (status) => this.#onSignalingStatus(status),
      onFinalClose: (_code, reason) => {
        this.#wanted = false;
        this.#closeCall();
        this.#releaseLocal();
        this.status = 'idle';
        this.occupancy = {};
        this.error = reason || 'You are no longer a member of this conversation.';
      }
    });
    this.#client.connect();
    // The page's room may change under the call (a session starts, a move, a moderator's visit).
    this.#cleanups.push(
      $effect.root(() => {
        $effect(() => {
          void this.target;
          void this.mayJoin;
          untrack(() => this.follow());
        });
      })
    );
  }

  roomName(room: string): string {
    if (room === MAIN_CALL) return 'Main room';
    return this.view.rooms.find((r) => r.id === room)?.name ?? 'a breakout room';
  }

  /** How many people are in the call of `room` (R118). */
  countOf(room: string): number {
    return this.occupancy[room]?.length ?? 0;
  }

  /** What this page sends: the chosen state, where the devices allow it. */
  get sentMedia(): MediaState {
    return {
      audio: this.media.audio && this.hasMicrophone,
      video: this.media.video && this.hasCamera && !!this.#local?.stream.getVideoTracks().length
    };
  }

  #send(message: ClientMessage): boolean {
    return this.#client.send(message);
  }

  // --- The person's commands -----------------------------------------------------------------------

  /** "Start call": the call of the room the page shows starts with this person (R110). */
  start(): Promise<void> {
    return this.join();
  }

  /** "Join call" (and "Start call"): devices first, then the call of the room the page shows. */
  async join(): Promise<void> {
    if (this.#destroyed || this.status !== 'idle') return;
    this.error = null;
    this.notice = null;
    if (!this.mayJoin) {
      this.error = `You cannot join the call of ${this.targetName} from here.`;
      return;
    }
    this.#wanted = true;
    this.#following = false;
    this.status = 'joining';
    const generation = ++this.#generation;
    if (!this.#local) {
      const result = await this.#acquire();
      if (this.#destroyed || generation !== this.#generation || !this.#wanted) {
        if (result.ok) for (const track of result.media.stream.getTracks()) track.stop();
        return;
      }
      if (!result.ok) {
        this.#wanted = false;
        this.status = 'idle';
        this.error = result.error;
        return;
      }
      this.#useLocal(result.media);
      this.notice = result.media.notice;
    }
    this.follow();
  }

  #useLocal(media: LocalMedia): void {
    this.#local = media;
    this.hasCamera = media.hasCamera;
    this.hasMicrophone = media.hasMicrophone;
    for (const track of media.stream.getAudioTracks()) track.enabled = this.media.audio;
    // Someone who turned the camera off before keeps it off: its light goes off too.
    if (!this.media.video) {
      for (const track of media.stream.getVideoTracks()) {
        track.stop();
        media.stream.removeTrack(track);
      }
    }
    this.localStream = media.stream;
  }

  /** "Leave call". */
  leave(): void {
    if (this.status === 'idle') return;
    this.#wanted = false;
    this.#generation++;
    if (this.room !== null || this.#pending !== null) this.#send({ type: 'leave' });
    this.#closeCall();
    this.#releaseLocal();
    this.status = 'idle';
    this.#leftRoom = null;
  }

  /** "Mute" / "Unmute". */
  toggleMute(): void {
    this.media = { ...this.media, audio: !this.media.audio };
    for (const track of this.#local?.stream.getAudioTracks() ?? []) track.enabled = this.media.audio;
    this.#sendMedia();
  }

  /** "Turn camera off" / "Turn camera on": off stops the camera (its light goes out), on asks for it again. */
  async toggleCamera(): Promise<void> {
    const local = this.#local;
    if (!local || !this.hasCamera) {
      this.media = { ...this.media, video: !this.media.video };
      return;
    }
    if (this.media.video) {
      this.media = { ...this.media, video: false };
      for (const track of local.stream.getVideoTracks()) {
        track.stop();
        local.stream.removeTrack(track);
      }
      this.localStream = new MediaStream(local.stream.getTracks());
      local.stream = this.localStream;
      this.#sendMedia();
      await this.#mesh?.setTrack('video', null);
      return;
    }
    this.media = { ...this.media, video: true };
    const result = await this.#acquireCamera();
    if (this.#local !== local || !this.media.video) {
      if (result.ok) result.track.stop();
      return;
    }
    if (!result.ok) {
      this.media = { ...this.media, video: false };
      this.error = result.error;
      return;
    }
    this.localStream = new MediaStream([...local.stream.getAudioTracks(), result.track]);
    local.stream = this.localStream;
    this.#sendMedia();
    await this.#mesh?.setTrack('video', result.track);
  }

  #sendMedia(): void {
    if (this.room !== null) this.#send({ type: 'media', media: this.sentMedia });
  }

  dismissError(): void {
    this.error = null;
  }

  dismissNotice(): void {
    this.notice = null;
  }

  // --- Following the page ---------------------------------------------------------------------------

  /**
   * Joins the call of the room the page shows when this person is in a call (or on their way to one) and
   * that is not it. An effect runs it whenever the page's room changes; tests call it directly.
   */
  follow(): void {
    if (this.#destroyed || !this.#wanted || !this.#local) return;
    const target = this.target;
    if (target !== this.#leftRoom) this.#leftRoom = null;
    if (this.room === target || this.#pending === target) return;
    if (!this.mayJoin) {
      // The session put them in a room the page does not show yet (R74 without moving automatically).
      if (this.room !== null) {
        this.#send({ type: 'leave' });
        this.#closeCall();
      }
      this.status = 'waiting';
      return;
    }
    // Just taken out of this very call: wait for the page to show where the session put them.
    if (this.#leftRoom === target) return;
    if (!this.#welcomed) {
      this.status = this.status === 'joining' ? 'joining' : 'moving';
      return;
    }
    const moving = this.room !== null || this.status === 'moving' || this.status === 'waiting';
    this.#closeCall();
    this.#pending = target;
    this.#following = moving && !this.#finalTry;
    this.#finalTry = false;
    this.status = moving ? 'moving' : 'joining';
    this.#send({ type: 'join', room: target, media: this.sentMedia });
  }

  // --- The server's messages ------------------------------------------------------------------------

  /** One message from the signaling socket. */
  handle(message: ServerMessage): void {
    if (this.#destroyed) return;
    switch (message.type) {
      case 'welcome':
        this.#iceServers = message.iceServers;
        this.#welcomed = true;
        // A new connection is a new peer: whatever call the last one was in, it left (R116).
        if (this.room !== null || this.#pending !== null) {
          this.#closeCall();
          if (this.#wanted) this.status = 'moving';
        }
        this.follow();
        return;
      case 'occupancy':
        this.occupancy = message.calls;
        return;
      case 'joined':
        this.#onJoined(message.room, message.peers);
        return;
      case 'peer-joined':
        if (message.room !== this.room) return;
        this.participants = [
          ...this.participants.filter((p) => p.peerId !== message.peer.peerId),
          this.#toParticipant(message.peer)
        ];
        return;
      case 'peer-left':
        if (message.room !== this.room) return;
        this.#mesh?.remove(message.peerId);
        this.participants = this.participants.filter((p) => p.peerId !== message.peerId);
        return;
      case 'peer-media':
        if (message.room !== this.room) return;
        this.participants = this.participants.map((p) =>
          p.peerId === message.peerId ? { ...p, media: message.media } : p
        );
        return;
      case 'signal':
        if (this.#mesh) void this.#mesh.handleSignal(message.from, message.data);
        return;
      case 'left':
        this.#onLeft(message);
        return;
      case 'error':
        this.#onError(message);
        return;
    }
  }

  #onJoined(room: string, peers: CallPeer[]): void {
    // The answer to a join the page has since replaced by another: the later one's answer follows.
    if (this.#pending !== null && room !== this.#pending) return;
    if (!this.#wanted) {
      // Left meanwhile: the server's answer to the old join is not wanted any more.
      this.#send({ type: 'leave' });
      return;
    }
    this.#closeCall();
    this.#pending = null;
    this.#following = false;
    this.#clearFollowTimer();
    this.room = room;
    this.status = 'in-call';
    const mesh = new Mesh({
      iceServers: this.#iceServers,
      local: () => {
        const stream = this.#local?.stream ?? new MediaStream();
        return {
          stream,
          audio: stream.getAudioTracks()[0] ?? null,
          video: stream.getVideoTracks()[0] ?? null,
          hasMicrophone: this.hasMicrophone,
          hasCamera: this.hasCamera
        };
      },
      send: (to, data) => {
        if (this.#mesh === mesh) this.#send({ type: 'signal', to, data });
      },
      onChange: () => {
        if (this.#mesh === mesh) this.#syncLinks(mesh);
      },
      ...(this.#createPeerConnection ? { createPeerConnection: this.#createPeerConnection } : {})
    });
    this.#mesh = mesh;
    this.participants = peers.map((p) => this.#toParticipant(p));
    // Whoever joins offers to everyone already there (no glare: they only answer).
    for (const peer of peers) mesh.connect(peer.peerId);
    this.#syncLinks(mesh);
    // The page moved on while the join was on its way.
    if (room !== this.target) this.follow();
  }

  #onLeft(message: Extract<ServerMessage, { type: 'left' }>): void {
    if (message.room !== this.room && message.room !== this.#pending) return;
    this.#closeCall();
    if (message.reason === 'left') {
      if (this.#wanted) this.follow();
      return;
    }
    if (message.reason === 'replaced') {
      // Another tab of this person took the seat (R116): this one stops.
      this.#wanted = false;
      this.#releaseLocal();
      this.status = 'idle';
      this.notice = message.message;
      return;
    }
    if (message.reason === 'access') this.notice = message.message;
    if (!this.#wanted) {
      this.status = 'idle';
      return;
    }
    // Moved by the session (R115): join where the page shows next, which may already be there.
    this.status = 'moving';
    this.#leftRoom = message.room;
    this.#startFollowTimer();
    this.follow();
  }

  #onError(message: Extract<ServerMessage, { type: 'error' }>): void {
    if (message.code === 'unknown-peer' || message.code === 'not-in-call') return;
    const refused = this.#pending;
    if (refused === null) {
      this.error = message.message;
      return;
    }
    this.#pending = null;
    if (message.code === 'forbidden' && this.#following && this.#wanted) {
      // The server has not seen the move the page shows yet (or the other way round): try once more soon.
      this.status = 'moving';
      this.#leftRoom = refused;
      this.#startFollowTimer();
      return;
    }
    this.#wanted = false;
    this.#following = false;
    this.#releaseLocal();
    this.status = 'idle';
    this.error = message.code === 'full' ? message.message || FULL_SENTENCE : message.message;
  }

  #startFollowTimer(): void {
    this.#clearFollowTimer();
    this.#followTimer = this.#setTimer(() => {
      this.#followTimer = null;
      if (!this.#wanted || this.room !== null || this.#pending !== null) return;
      // The page did not follow: ask for the room it shows anyway; a refusal then ends the call here.
      this.#leftRoom = null;
      this.#finalTry = true;
      this.follow();
      this.#finalTry = false;
    }, FOLLOW_TIMEOUT_MS);
  }

  #clearFollowTimer(): void {
    if (this.#followTimer !== null) this.#clearTimer(this.#followTimer);
    this.#followTimer = null;
  }

  #onSignalingStatus(status: SignalingStatus): void {
    this.signaling = status;
    if (status === 'open') return;
    this.#welcomed = false;
    if (status === 'closed' && (this.room !== null || this.#pending !== null)) {
      // The server dropped this peer with the socket (R116); the next welcome joins again.
      this.#closeCall();
      if (this.#wanted) this.status = 'moving';
    }
  }

  #toParticipant(peer: CallPeer): CallParticipant {
    const link = this.#mesh?.peers.get(peer.peerId);
    return {
      peerId: peer.peerId,
      userId: peer.userId,
      name: peer.name,
      media: peer.media,
      stream: link?.stream ?? null,
      link: link?.state ?? 'connecting'
    };
  }

  #syncLinks(mesh: Mesh): void {
    this.participants = this.participants.map((p) => {
      const link = mesh.peers.get(p.peerId);
      return link
        ? { ...p, stream: link.stream, link: link.state }
        : p.link === 'connecting'
          ? p
          : { ...p, link: 'closed' };
    });
  }

  /** Closes the mesh of the call this page was in; the microphone and camera stay. */
  #closeCall(): void {
    this.#mesh?.close();
    this.#mesh = null;
    this.room = null;
    this.#pending = null;
    this.participants = [];
  }

  #releaseLocal(): void {
    for (const track of this.#local?.stream.getTracks() ?? []) track.stop();
    this.#local = null;
    this.localStream = null;
    this.#clearFollowTimer();
  }

  destroy(): void {
    this.#destroyed = true;
    this.#wanted = false;
    for (const off of this.#cleanups) off();
    this.#cleanups = [];
    this.#closeCall();
    this.#releaseLocal();
    this.#client.close();
    this.status = 'idle';
  }
}
