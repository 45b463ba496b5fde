/**
 * Fakes for the unit tests of src/lib/calls and CallState: a WebSocket, RTCPeerConnection, MediaStream
 * and a timer queue that the test drives by hand. Nothing here is used by the app.
 */
import type { ServerMessage } from '../domain/calls';
import type { CandidateLike, DescriptionLike, PeerConnectionLike, TransceiverLike } from './mesh';
import type { SocketLike } from './signaling';

export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The messages sent, parsed. */
  get messages(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  // The server's side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: ServerMessage | string): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

/** Timers run when the test says so. */
export class ManualTimers {
  #next = 1;
  pending = new Map<number, { run: () => void; ms: number }>();

  set = (run: () => void, ms: number): ReturnType<typeof setTimeout> => {
    const id = this.#next++;
    this.pending.set(id, { run, ms });
    return id as unknown as ReturnType<typeof setTimeout>;
  };

  clear = (timer: ReturnType<typeof setTimeout>): void => {
    this.pending.delete(timer as unknown as number);
  };

  get delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }

  runAll(): void {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, timer] of due) timer.run();
  }
}

let trackIds = 0;

export class FakeTrack {
  readonly id = `track-${++trackIds}`;
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  constructor(readonly kind: 'audio' | 'video') {}
  stop(): void {
    this.readyState = 'ended';
  }
}

export class FakeStream {
  #tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.#tracks = [...tracks];
  }
  getTracks(): FakeTrack[] {
    return [...this.#tracks];
  }
  getAudioTracks(): FakeTrack[] {
    return this.#tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.#tracks.filter((t) => t.kind === 'video');
  }
  addTrack(track: FakeTrack): void {
    this.#tracks.push(track);
  }
  removeTrack(track: FakeTrack): void {
    this.#tracks = this.#tracks.filter((t) => t !== track);
  }
}

export const asTrack = (t: FakeTrack) => t as unknown as MediaStreamTrack;
export const asStream = (s: FakeStream) => s as unknown as MediaStream;

class FakeTransceiver implements TransceiverLike {
  direction: string;
  readonly receiver: { track: { kind: string } };
  readonly sender: {
    track: { kind: string } | null;
    replaceTrack: (track: MediaStreamTrack | null) => Promise<void>;
    setStreams: (...streams: MediaStream[]) => void;
  };
  constructor(kind: string, direction: string, track: { kind: string } | null) {
    this.direction = direction;
    this.receiver = { track: { kind } };
    this.sender = {
      track,
      replaceTrack: async (next) => {
        this.sender.track = next as unknown as { kind: string } | null;
      },
      setStreams: () => {}
    };
  }
}

/** Every call the mesh makes, in order, so a test can check the negotiation's steps. */
export class FakePeerConnection implements PeerConnectionLike {
  static created: FakePeerConnection[] = [];
  connectionState = 'new';
  signalingState = 'stable';
  remoteDescription: DescriptionLike | null = null;
  localDescription: DescriptionLike | null = null;
  onicecandidate: ((event: { candidate: CandidateLike | null }) => void) | null = null;
  ontrack: ((event: { track: MediaStreamTrack }) => void) | null = null;
  onconnectionstatechange: ((event?: unknown) => void) | null = null;
  transceivers: FakeTransceiver[] = [];
  log: string[] = [];
  candidates: CandidateLike[] = [];
  closed = false;

  constructor(readonly config: unknown) {
    FakePeerConnection.created.push(this);
  }

  addTransceiver(
    trackOrKind: MediaStreamTrack | 'audio' | 'video',
    init: { direction: 'sendrecv' | 'recvonly' }
  ): TransceiverLike {
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const track = typeof trackOrKind === 'string' ? null : (trackOrKind as unknown as { kind: string });
    const t = new FakeTransceiver(kind, init.direction, track);
    this.transceivers.push(t);
    this.log.push(`addTransceiver ${kind} ${init.direction}${track ? ' with track' : ''}`);
    return t;
  }

  getTransceivers(): TransceiverLike[] {
    return this.transceivers;
  }

  async createOffer(): Promise<DescriptionLike> {
    this.log.push('createOffer');
    return { type: 'offer', sdp: `offer(${this.transceivers.map((t) => t.direction).join(',')})` };
  }

  async createAnswer(): Promise<DescriptionLike> {
    this.log.push('createAnswer');
    return { type: 'answer', sdp: `answer(${this.transceivers.map((t) => t.direction).join(',')})` };
  }

  async setLocalDescription(description: DescriptionLike): Promise<void> {
    this.log.push(`setLocalDescription ${description.type}`);
    this.localDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
  }

  async setRemoteDescription(description: DescriptionLike): Promise<void> {
    this.log.push(`setRemoteDescription ${description.type}`);
    this.remoteDescription = description;
    if (description.type === 'offer') {
      this.signalingState = 'have-remote-offer';
      // As a browser does: the offer's media sections become transceivers, receiving only so far.
      if (this.transceivers.length === 0) {
        for (const kind of ['audio', 'video'])
          this.transceivers.push(new FakeTransceiver(kind, 'recvonly', null));
      }
    } else {
      this.signalingState = 'stable';
    }
  }

  async addIceCandidate(candidate: CandidateLike): Promise<void> {
    if (!this.remoteDescription) throw new Error('addIceCandidate before the remote description');
    this.log.push(`addIceCandidate ${candidate.candidate}`);
    this.candidates.push(candidate);
  }

  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
    this.log.push('close');
  }

  // The browser's side.
  emitCandidate(candidate: string): void {
    this.onicecandidate?.({ candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
  }

  emitTrack(kind: 'audio' | 'video'): FakeTrack {
    const track = new FakeTrack(kind);
    this.ontrack?.({ track: asTrack(track) });
    return track;
  }

  setConnectionState(state: string): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}

/** Lets every pending promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
