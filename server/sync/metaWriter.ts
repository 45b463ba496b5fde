/**
 * The server's named commands on the documents only it writes (`meta`, `chat/<room>`, SPEC R10, R11).
 * REST routes call these instead of building Y changes themselves. Every command is an "ensure": it
 * writes what is missing or different and nothing when the document already agrees, so repeating one
 * heals a document that drifted from the database (SPEC R61).
 */
import { getDocName } from '../../src/lib/domain/docs';
import type { ConversationId } from '../../src/lib/domain/ids';
import {
  appendChatMessageOnce,
  writeConversationInfo,
  writeMember,
  type ChatEntry,
  type MetaConversation,
  type MetaMember
} from '../../src/lib/sync/schema';
import type { SyncServer } from './types';

export interface MetaWriter {
  /** The conversation's entry in its meta document equals `info`. */
  ensureConversation(info: MetaConversation & { id: ConversationId }): Promise<void>;
  /** The member's entry in the conversation's meta document equals `member`. */
  ensureMember(conversationId: ConversationId, member: MetaMember): Promise<void>;
  /**
   * The message is in the room's chat document, appended only when no entry has its id (a first post
   * and its retries alike, SPEC R22). Resolves true when it appended.
   */
  appendChatOnce(options: {
    conversationId: ConversationId;
    room: string;
    entry: ChatEntry;
  }): Promise<boolean>;
}

export function createMetaWriter(sync: Pick<SyncServer, 'writeAsServer'>): MetaWriter {
  const metaDoc = (conversationId: ConversationId) => getDocName({ conversationId, kind: 'meta' });
  return {
    ensureConversation(info) {
      return sync.writeAsServer(metaDoc(info.id), (doc) => writeConversationInfo(doc, { ...info }));
    },
    ensureMember(conversationId, member) {
      return sync.writeAsServer(metaDoc(conversationId), (doc) => writeMember(doc, member));
    },
    async appendChatOnce({ conversationId, room, entry }) {
      let appended = false;
      await sync.writeAsServer(getDocName({ conversationId, kind: 'chat', room }), (doc) => {
        appended = appendChatMessageOnce(doc, entry);
      });
      return appended;
    }
  };
}
