import type * as Y from 'yjs';
import type { UserId } from '../domain/ids';
import type { Role } from '../domain/roles';
import {
  observeMeta,
  readConversationInfo,
  readMembers,
  type MetaConversation,
  type MetaMember
} from '../sync/schema';

/** Title and members of a conversation, live from its meta document (written by the server only). */
export class MembersState {
  // Raw: each change reads the whole list anew (a thousand people: no proxy per person, R99).
  members = $state.raw<MetaMember[]>([]);
  info = $state.raw<MetaConversation | null>(null);
  #unobserve: () => void;

  constructor(doc: Y.Doc) {
    const read = () => {
      this.members = readMembers(doc);
      this.info = readConversationInfo(doc);
    };
    read();
    this.#unobserve = observeMeta(doc, read);
  }

  getRole(userId: UserId | string): Role | null {
    return this.members.find((m) => m.userId === userId)?.role ?? null;
  }

  destroy(): void {
    this.#unobserve();
  }
}
