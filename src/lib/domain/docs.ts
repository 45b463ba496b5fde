import type { ConversationId } from './ids';
import { isValidId } from './ids';

/**
 * Yjs documents of a conversation, split by who may write them (SPEC R10):
 * - `control`: breakout setup and session state; moderators write.
 * - `meta`: title and member list with roles; only the server writes.
 * - `chat`: one per chat room (`main` for the main room); only the server writes (posting is an intent).
 * - `history`: readable entries of every change to the setup and session (SPEC R97); only the server
 *   writes, only moderators read.
 */
export type DocKind = 'control' | 'meta' | 'chat' | 'history';

export interface DocRef {
  conversationId: ConversationId;
  kind: DocKind;
  /** Chat room key; `main` for the conversation's main room. Only set for `chat`. */
  room?: string;
}

export const MAIN_ROOM = 'main';

/** The document name, which is also the path after `/ws/` in the WebSocket URL. */
export function getDocName(ref: DocRef): string {
  const base = `conversation/${ref.conversationId}/${ref.kind}`;
  return ref.kind === 'chat' ? `${base}/${ref.room ?? MAIN_ROOM}` : base;
}

const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses a document name; `null` for anything that is not exactly one of ours. */
export function parseDocName(name: string): DocRef | null {
  const parts = name.split('/');
  if (parts[0] !== 'conversation' || !isValidId(parts[1])) return null;
  const conversationId = parts[1] as ConversationId;
  if (parts.length === 3 && (parts[2] === 'control' || parts[2] === 'meta' || parts[2] === 'history')) {
    return { conversationId, kind: parts[2] };
  }
  if (parts.length === 4 && parts[2] === 'chat' && ROOM_PATTERN.test(parts[3])) {
    return { conversationId, kind: 'chat', room: parts[3] };
  }
  return null;
}
