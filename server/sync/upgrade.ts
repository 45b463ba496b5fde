/**
 * The gate in front of the WebSocket upgrade (SPEC R13): every refusal is a plain HTTP answer written to
 * the raw socket, before the protocol switches, so no Yjs message ever flows to someone refused.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DocRef } from '../../src/lib/domain/docs';
import { getDocName, parseDocName } from '../../src/lib/domain/docs';
import type { Access } from '../../src/lib/domain/policy';
import type { ConversationId, RoomId, UserId } from '../../src/lib/domain/ids';
import { decideDocAccess, isRoomChat } from '../../src/lib/domain/policy';
import type { Persistence } from '../persistence/types';
import type { Identity } from '../auth/identity';

export const WS_PATH_PREFIX = '/ws/';

/** What the upgrade needs to know about a breakout room's chat (SPEC R81). */
export interface RoomChatInfo {
  /** The member's breakout room as every replica shows it (tidy view), or `null`. */
  assignedRoom: RoomId | null;
  /** The room is in the conversation's setup, or its chat is stored (a removed room's, R73). */
  roomKnown: boolean;
}

export type Admission =
  | { ok: true; identity: Identity; docName: string; ref: DocRef; access: Exclude<Access, 'none'> }
  | { ok: false; status: 401 | 403 | 404; sentence: string };

/**
 * The document name in `/ws/<docName>?…`, percent-decoded; `null` when the path is not ours or cannot
 * be decoded. The stock client appends the name unencoded, so its slashes arrive as path separators.
 */
export function getDocNameFromUrl(url: string | undefined): string | null {
  if (!url) return null;
  const path = url.split('?', 1)[0].split('#', 1)[0];
  if (!path.startsWith(WS_PATH_PREFIX)) return null;
  try {
    return decodeURIComponent(path.slice(WS_PATH_PREFIX.length));
  } catch {
    return null;
  }
}

export async function admitUpgrade(
  req: IncomingMessage,
  options: {
    persistence: Persistence;
    identify: (req: IncomingMessage) => Promise<Identity | null>;
    isAllowedOrigin: (req: IncomingMessage) => boolean;
    /**
     * For a breakout room's chat (SPEC R81): the member's room (tidy view) and whether `room` is one of
     * the conversation's, in its setup or with a stored chat (a removed room's, R73).
     */
    getRoomChat: (conversationId: ConversationId, userId: UserId, room: string) => Promise<RoomChatInfo>;
  }
): Promise<Admission> {
  if (!options.isAllowedOrigin(req)) {
    return { ok: false, status: 403, sentence: 'This page’s origin may not open Parley documents.' };
  }
  const identity = await options.identify(req);
  if (!identity) {
    return { ok: false, status: 401, sentence: 'Sign in or join as a guest before opening this document.' };
  }
  const name = getDocNameFromUrl(req.url);
  const ref = name === null ? null : parseDocName(name);
  if (!ref) {
    return { ok: false, status: 404, sentence: 'There is no such document.' };
  }
  const conversation = await options.persistence.getConversation(ref.conversationId);
  if (!conversation) {
    return { ok: false, status: 404, sentence: 'This conversation does not exist.' };
  }
  const membership = await options.persistence.getMembership(ref.conversationId, identity.userId);
  const role = membership?.role ?? null;
  if (role === null) {
    return { ok: false, status: 403, sentence: 'Only members of this conversation may open its documents.' };
  }
  let assignedRoom: RoomId | null = null;
  if (isRoomChat(ref)) {
    const chat = await options.getRoomChat(ref.conversationId, identity.userId, ref.room!);
    // A made-up room id would otherwise open an empty chat of a room that never was (R81).
    if (!chat.roomKnown) {
      return {
        ok: false,
        status: 404,
        sentence: 'There is no breakout room with this id in this conversation. It may have been deleted.'
      };
    }
    assignedRoom = chat.assignedRoom;
  }
  const access = decideDocAccess({ role, kind: ref.kind, room: ref.room, assignedRoom });
  if (access === 'none') {
    return {
      ok: false,
      status: 403,
      sentence:
        ref.kind === 'history'
          ? 'The setup history is open to the moderators of this conversation.'
          : 'This room’s chat is open to the people in that room and to the moderators.'
    };
  }
  return { ok: true, identity, docName: getDocName(ref), ref, access };
}

/** Answers the upgrade request with a plain HTTP error and closes the socket once it is written. */
export function rejectUpgrade(socket: Duplex, status: number, sentence: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(sentence + '\n');
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      '\r\n' +
      body.toString('utf8')
  );
}
