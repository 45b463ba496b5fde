import type { IceServer, SignalData } from '../domain/calls';

/**
 * One call's WebRTC mesh (SPEC R111): an RTCPeerConnection per other peer. Whoever joins offers to the
 * peers listed in its `joined` message (`connect`); peers already there answer the offers they get
 * (`handleSignal`). ICE candidates that arrive before the remote description are queued until it is set.
 * A peer that leaves, or whose connection fails, is closed and dropped. The local tracks are shared by
 * every connection: muting disables the microphone's track; turning the camera off replaces the video
 * track with none on every connection (no renegotiation), and turning it on puts the new one back.
 *
 * Every connection carries one audio and one video transceiver, so someone without a camera still
 * receives the others' video (their video transceiver only receives).
 */

/** The parts of RTCRtpTransceiver the mesh uses. */
export interface TransceiverLike {
  direction: string;
  readonly receiver: { readonly track: { readonly kind: string } };
  readonly sender: {
    readonly track: { readonly kind: string } | null;
    replaceTrack(track: MediaStreamTrack | null): Promise<void>;
    setStreams?(...streams: MediaStream[]): void;
  };
}

export interface DescriptionLike {
  type: string;
  sdp?: string;
}

/** The parts of RTCPeerConnection the mesh uses, so tests can fake it. */
export interface PeerConnectionLike {
  readonly connectionState: string;
  readonly signalingState: string;
  readonly remoteDescription: DescriptionLike | null;
  onicecandidate: ((event: { candidate: CandidateLike | null }) => void) | null;
  ontrack: ((event: { track: MediaStreamTrack }) => void) | null;
  onconnectionstatechange: ((event?: unknown) => void) | null;
  addTransceiver(
    trackOrKind: MediaStreamTrack | 'audio' | 'video',
    init: { direction: 'sendrecv' | 'recvonly'; streams?: MediaStream[] }
  ): TransceiverLike;
  getTransceivers(): TransceiverLike[];
  createOffer(): Promise<DescriptionLike>;
  createAnswer(): Promise<DescriptionLike>;
  setLocalDescription(description: DescriptionLike): Promise<void>;
  setRemoteDescription(description: DescriptionLike): Promise<void>;
  addIceCandidate(candidate: {
    candidate: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
  }): Promise<void>;
  close(): void;
}

export interface CandidateLike {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export type PeerConnectionFactory = (config: { iceServers: IceServer[] }) => PeerConnectionLike;

/** What this page sends: its stream and, per kind, the track now (null when off) and whether it can send. */
export interface LocalTracks {
  stream: MediaStream;
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  hasMicrophone: boolean;
  hasCamera: boolean;
}

export type PeerLinkState = 'connecting' | 'connected' | 'failed' | 'closed';

export interface MeshPeer {
  peerId: string;
  /** This page offered (it joined after them) or answered. */
  role: 'offerer' | 'answerer';
  pc: PeerConnectionLike;
  /** The peer's media as received so far (a new stream object whenever a track is added). */
  stream: MediaStream | null;
  state: PeerLinkState;
  /** Candidates that came before the remote description. */
  pending: CandidateLike[];
  /** Signals are handled one after the other per peer. */
  queue: Promise<void>;
}

const defaultFactory: PeerConnectionFactory = (config) =>
  // Looked up at call time, so a page (or a test's init script) that wraps the constructor is honoured.
  new globalThis.RTCPeerConnection(config) as unknown as PeerConnectionLike;

const defaultStream = (tracks: MediaStreamTrack[]) => new MediaStream(tracks);

export class Mesh {
  readonly peers = new Map<string, MeshPeer>();
  #iceServers: IceServer[];
  #local: () => LocalTracks;
  #send: (to: string, data: SignalData) => void;
  #create: PeerConnectionFactory;
  #createStream: (tracks: MediaStreamTrack[]) => MediaStream;
  #onChange: () => void;
  #onError: (peerId: string, error: unknown) => void;
  #closed = false;

  constructor({
    iceServers,
    local,
    send,
    onChange = () => {},
    onError = () => {},
    createPeerConnection = defaultFactory,
    createStream = defaultStream
  }: {
    iceServers: IceServer[];
    /** Read whenever a connection is set up, so a track turned off meanwhile is not sent. */
    local: () => LocalTracks;
    send: (to: string, data: SignalData) => void;
    /** A peer's stream or link state changed. */
    onChange?: () => void;
    onError?: (peerId: string, error: unknown) => void;
    createPeerConnection?: PeerConnectionFactory;
    createStream?: (tracks: MediaStreamTrack[]) => MediaStream;
  }) {
    this.#iceServers = iceServers;
    this.#local = local;
    this.#send = send;
    this.#onChange = onChange;
    this.#onError = onError;
    this.#create = createPeerConnection;
    this.#createStream = createStream;
  }

  #open(peerId: string, role: MeshPeer['role']): MeshPeer {
    const pc = this.#create({ iceServers: this.#iceServers });
    const peer: MeshPeer = {
      peerId,
      role,
      pc,
      stream: null,
      state: 'connecting',
      pending: [],
      queue: Promise.resolve()
    };
    this.peers.set(peerId, peer);
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || this.peers.get(peerId) !== peer) return;
      this.#send(peerId, {
        kind: 'candidate',
        candidate: {
          candidate: candidate.candidate,
          sdpMid: candidate.sdpMid ?? null,
          sdpMLineIndex: candidate.sdpMLineIndex ?? null
        }
      });
    };
    pc.ontrack = ({ track }) => {
      if (this.peers.get(peerId) !== peer) return;
      const tracks = (peer.stream?.getTracks() ?? []).filter((t) => t.kind !== track.kind);
      peer.stream = this.#createStream([...tracks, track]);
      this.#onChange();
    };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(peerId) !== peer) return;
      const state = pc.connectionState;
      if (state === 'connected' && peer.state !== 'connected') {
        peer.state = 'connected';
        this.#onChange();
      } else if (state === 'failed') {
        this.#fail(peer, new Error('The connection failed.'));
      }
    };
    return peer;
  }

  /** Offers to a peer that was in the call before this page joined. */
  connect(peerId: string): void {
    if (this.#closed || this.peers.has(peerId)) return;
    const peer = this.#open(peerId, 'offerer');
    const local = this.#local();
    const streams = [local.stream];
    peer.pc.addTransceiver(
      local.audio ?? 'audio',
      local.hasMicrophone ? { direction: 'sendrecv', streams } : { direction: 'recvonly' }
    );
    peer.pc.addTransceiver(
      local.video ?? 'video',
      local.hasCamera ? { direction: 'sendrecv', streams } : { direction: 'recvonly' }
    );
    void this.#enqueue(peer, async () => {
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      if (this.#isCurrent(peer)) this.#send(peerId, { kind: 'offer', sdp: offer.sdp ?? '' });
    });
  }

  /** An offer, answer or candidate from a peer of this call. */
  handleSignal(from: string, data: SignalData): Promise<void> {
    if (this.#closed) return Promise.resolve();
    let peer = this.peers.get(from);
    if (data.kind === 'offer') {
      // A peer that joined after this page offers; one that offers again (it rejoined) starts afresh.
      if (peer && (peer.role === 'offerer' || peer.pc.remoteDescription)) {
        this.remove(from);
        peer = undefined;
      }
      peer ??= this.#open(from, 'answerer');
      const answerer = peer;
      return this.#enqueue(answerer, () => this.#answer(answerer, data.sdp));
    }
    // Answers and candidates for a peer this mesh does not know (one that left) are dropped.
    if (!peer) return Promise.resolve();
    const known = peer;
    if (data.kind === 'answer') {
      const { sdp } = data;
      return this.#enqueue(known, async () => {
        if (known.pc.signalingState !== 'have-local-offer') return;
        await known.pc.setRemoteDescription({ type: 'answer', sdp });
        await this.#flush(known);
      });
    }
    if (data.kind !== 'candidate') return Promise.resolve();
    const { candidate } = data;
    return this.#enqueue(known, async () => {
      if (!known.pc.remoteDescription) {
        known.pending.push(candidate);
        return;
      }
      await known.pc.addIceCandidate(candidate);
    });
  }

  async #answer(peer: MeshPeer, sdp: string): Promise<void> {
    await peer.pc.setRemoteDescription({ type: 'offer', sdp });
    const local = this.#local();
    for (const transceiver of peer.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      const can = kind === 'audio' ? local.hasMicrophone : local.hasCamera;
      if (!can) {
        transceiver.direction = 'recvonly';
        continue;
      }
      transceiver.direction = 'sendrecv';
      transceiver.sender.setStreams?.(local.stream);
      await transceiver.sender.replaceTrack(kind === 'audio' ? local.audio : local.video);
    }
    await this.#flush(peer);
    const answer = await peer.pc.createAnswer();
    await peer.pc.setLocalDescription(answer);
    if (this.#isCurrent(peer)) this.#send(peer.peerId, { kind: 'answer', sdp: answer.sdp ?? '' });
  }

  async #flush(peer: MeshPeer): Promise<void> {
    const pending = peer.pending;
    peer.pending = [];
    for (const candidate of pending) {
      try {
        await peer.pc.addIceCandidate(candidate);
      } catch {
        // A candidate the connection cannot use is skipped; the others may still connect.
      }
    }
  }

  #isCurrent(peer: MeshPeer): boolean {
    return !this.#closed && this.peers.get(peer.peerId) === peer;
  }

  #enqueue(peer: MeshPeer, step: () => Promise<void>): Promise<void> {
    peer.queue = peer.queue.then(async () => {
      if (!this.#isCurrent(peer)) return;
      try {
        await step();
      } catch (error) {
        if (this.#isCurrent(peer)) this.#fail(peer, error);
      }
    });
    return peer.queue;
  }

  #fail(peer: MeshPeer, error: unknown): void {
    peer.state = 'failed';
    try {
      peer.pc.close();
    } catch {
      // Already closed.
    }
    this.#onError(peer.peerId, error);
    this.#onChange();
  }

  /** A peer left the call: its connection closes. */
  remove(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    peer.state = 'closed';
    peer.pc.onicecandidate = null;
    peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = null;
    try {
      peer.pc.close();
    } catch {
      // Already closed.
    }
    this.#onChange();
  }

  /** The microphone's or camera's track changed (camera off: `null`): every connection sends the new one. */
  async setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    const replacing: Promise<void>[] = [];
    for (const peer of this.peers.values()) {
      if (peer.state === 'failed') continue;
      for (const transceiver of peer.pc.getTransceivers()) {
        if (transceiver.receiver.track.kind !== kind) continue;
        if (transceiver.direction !== 'sendrecv' && transceiver.direction !== 'sendonly') continue;
        replacing.push(transceiver.sender.replaceTrack(track).catch(() => {}));
      }
    }
    await Promise.all(replacing);
  }

  /** Leaves the call: every connection closes. */
  close(): void {
    this.#closed = true;
    for (const peerId of [...this.peers.keys()]) this.remove(peerId);
  }
}
