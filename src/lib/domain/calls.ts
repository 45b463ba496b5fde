import { MAIN_ROOM } from './docs';
import { isModerator, type Role } from './roles';

/**
 * Calls (SPEC R110–R119): peer-to-peer WebRTC, one mesh per room (the main room or a breakout room),
 * with signaling over the server's authenticated WebSocket `/ws-signal/<conversationId>` (JSON text
 * frames, one message each). This module is the contract both ends share: the messages, their limits and
 * who may be in which call. It is pure, like the rest of the domain.
 *
 * Negotiation: whoever joins a call sends an offer to every peer listed in its `joined` message; peers
 * already in the call only answer. So two peers never offer to each other at once (no glare).
 */

/** A mesh suits breakout-sized rooms: every peer sends its media to every other one (R112). */
export const MAX_CALL_PEERS = 8;
/** A signaling frame larger than this closes that connection (4400), like any malformed one (R117). */
export const MAX_SIGNAL_BYTES = 64 * 1024;
/** The call of the main room; a breakout room's call is named by the room's id. */
export const MAIN_CALL = MAIN_ROOM;

/** Microphone and camera as the peer chose them: `audio: false` is "muted". */
export interface MediaState {
  audio: boolean;
  video: boolean;
}

/** An ICE server as RTCPeerConnection takes it, from the server's configuration (R113). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** One peer of a call: a signaling connection (a tab) of a member. */
export interface CallPeer {
  peerId: string;
  userId: string;
  name: string;
  media: MediaState;
}

/** What WebRTC needs carried between two peers. */
export type SignalData =
  | { kind: 'offer' | 'answer'; sdp: string }
  | {
      kind: 'candidate';
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
    };

/** Client → server. */
export type ClientMessage =
  /** Join the call of `room` (leaving the call one is in, if any). */
  | { type: 'join'; room: string; media: MediaState }
  | { type: 'leave' }
  /** "Mute"/"Unmute", "Turn camera off"/"Turn camera on". */
  | { type: 'media'; media: MediaState }
  /** To one peer of the same call. */
  | { type: 'signal'; to: string; data: SignalData };

/** Why the server took someone out of a call (R115, R116). */
export type LeftReason = 'left' | 'moved' | 'access' | 'replaced';

/** Who is in which call of the conversation: room → the members in it (R118). */
export type Occupancy = Record<string, { userId: string; name: string }[]>;

/** Server → client. */
export type ServerMessage =
  /** First message on every connection: this connection's peer id and the ICE servers to use. */
  | { type: 'welcome'; peerId: string; iceServers: IceServer[] }
  /** You are in the call of `room`; `peers` were there before you: offer to each of them. */
  | { type: 'joined'; room: string; peers: CallPeer[] }
  | { type: 'peer-joined'; room: string; peer: CallPeer }
  | { type: 'peer-left'; room: string; peerId: string }
  | { type: 'peer-media'; room: string; peerId: string; media: MediaState }
  | { type: 'signal'; from: string; data: SignalData }
  /**
   * You are no longer in the call of `room`: you left, the session moved you (join the call of the room
   * you are in now), you may no longer be there, or another tab of yours took your place.
   */
  | { type: 'left'; room: string; reason: LeftReason; message: string }
  /** Sent on connect and whenever someone joins or leaves any call of the conversation. */
  | { type: 'occupancy'; calls: Occupancy }
  /** A refused message; the connection stays open (a malformed frame closes it instead, R117). */
  | { type: 'error'; code: 'full' | 'forbidden' | 'not-in-call' | 'unknown-peer'; message: string };

/**
 * May a member be in the call of `room` (R114)? Moderators: any room of the setup and the main room.
 * Participants: the room where the session puts them now (`location`, R75; `null` = the main room).
 */
export function mayJoinCall({
  role,
  room,
  location,
  roomExists
}: {
  role: Role | null;
  room: string;
  location: string | null;
  /** `room` is a breakout room of this conversation's setup (always true for the main room). */
  roomExists: boolean;
}): boolean {
  if (role === null) return false;
  if (room === MAIN_CALL) return isModerator(role) || location === null;
  if (!roomExists) return false;
  return isModerator(role) || location === room;
}

/** Longest peer id a client may name: the server's are `p_` and 22 url-safe characters. */
const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The main room's call or a breakout room's id (as in document names). */
const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{audio, video}` with two booleans, or `null`. */
export function parseMediaState(value: unknown): MediaState | null {
  if (!isObject(value) || typeof value.audio !== 'boolean' || typeof value.video !== 'boolean') return null;
  return { audio: value.audio, video: value.video };
}

/** What WebRTC needs carried, with nothing else in it, or `null` when a field is missing or mistyped. */
export function parseSignalData(value: unknown): SignalData | null {
  if (!isObject(value)) return null;
  if (value.kind === 'offer' || value.kind === 'answer') {
    return typeof value.sdp === 'string' ? { kind: value.kind, sdp: value.sdp } : null;
  }
  if (value.kind !== 'candidate' || !isObject(value.candidate)) return null;
  const { candidate, sdpMid, sdpMLineIndex } = value.candidate;
  if (typeof candidate !== 'string') return null;
  if (sdpMid !== undefined && sdpMid !== null && typeof sdpMid !== 'string') return null;
  if (
    sdpMLineIndex !== undefined &&
    sdpMLineIndex !== null &&
    !(typeof sdpMLineIndex === 'number' && Number.isInteger(sdpMLineIndex) && sdpMLineIndex >= 0)
  ) {
    return null;
  }
  const parsed: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } = { candidate };
  if (sdpMid !== undefined) parsed.sdpMid = sdpMid;
  if (sdpMLineIndex !== undefined) parsed.sdpMLineIndex = sdpMLineIndex;
  return { kind: 'candidate', candidate: parsed };
}

/**
 * One signaling frame from a client (R117): the message with only the fields of its type (anything else
 * is dropped, so nothing unexpected is relayed), or `null` for a frame that is not JSON, is larger than
 * `MAX_SIGNAL_BYTES`, has an unknown `type`, or a missing or mistyped field. The server closes the
 * connection with 4400 on `null`.
 */
export function parseClientMessage(text: string): ClientMessage | null {
  // A string of more characters than the limit has more bytes too (UTF-8 needs at least one each).
  if (text.length > MAX_SIGNAL_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  switch (value.type) {
    case 'join': {
      const media = parseMediaState(value.media);
      if (typeof value.room !== 'string' || !ROOM_PATTERN.test(value.room) || !media) return null;
      return { type: 'join', room: value.room, media };
    }
    case 'leave':
      return { type: 'leave' };
    case 'media': {
      const media = parseMediaState(value.media);
      return media ? { type: 'media', media } : null;
    }
    case 'signal': {
      const data = parseSignalData(value.data);
      if (typeof value.to !== 'string' || !PEER_ID_PATTERN.test(value.to) || !data) return null;
      return { type: 'signal', to: value.to, data };
    }
    default:
      return null;
  }
}
