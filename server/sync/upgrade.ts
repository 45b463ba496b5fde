/**
 * The gate in front of the WebSocket upgrade (SPEC R13): every refusal is a plain HTTP answer written to
 * the raw socket, before the protocol switches, so no Yjs message ever flows to someone refused.
 */
import type { IncomingMessage } from 'node:http';
import type { DocRef } from '../../src/lib/domain/docs';
import { getDocName, parseDocName } from '../../src/lib/domain/docs';
import type { Access } from '../../src/lib/domain/policy';
import type { ConversationId, RoomId, UserId } from '../../src/lib/domain/ids';
import { decideDocAccess, isRoomChat } from '../../src/lib/domain/policy';
import type { Persistence } from '../persistence/types';
import type { Identity } from '../auth/identity';
import { admitMember, type UpgradeSentences } from '../http/upgrade';

export { rejectUpgrade } from '../http/upgrade';

export const WS_PATH_PREFIX = '/ws/';

const DOC_SENTENCES: UpgradeSentences = {
  origin: 'This page’s origin may not open Parley documents.',
  signIn: 'Sign in or join as a guest before opening this document.',
  notFound: 'There is no such document.',
  noConversation: 'This conversation does not exist.',
  notMember: 'Only members of this conversation may open its documents.'
};

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
  const admitted = await admitMember(req, {
    persistence: options.persistence,
    identify: options.identify,
    isAllowedOrigin: options.isAllowedOrigin,
    parseTarget: (url) => {
      const name = getDocNameFromUrl(url);
      return name === null ? null : parseDocName(name);
    },
    sentences: DOC_SENTENCES
  });
  if (!admitted.ok) return admitted;
  const { identity, role, target: ref } = admitted;
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
