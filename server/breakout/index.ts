/**
 * The server's own writes to the breakout setup, as the trusted writer of the control document
 * (SPEC R40): placing late joiners in automatic mode (R47) and deleting the breakout rooms (R50).
 * Moderators' edits never pass through here; they sync directly over their writable connections.
 */
import { pickRoomForLateJoiner, tidyBreakout, type Member } from '../../src/lib/domain/breakout';
import { MAIN_ROOM, getDocName, parseDocName } from '../../src/lib/domain/docs';
import { asUserId, type ConversationId, type RoomId, type UserId } from '../../src/lib/domain/ids';
import { isModerator } from '../../src/lib/domain/roles';
import { assignParticipants, clearSetup, readBreakoutState } from '../../src/lib/sync/control';
import type { Persistence } from '../persistence/types';
import type { SyncServer } from '../sync/types';

/** The actor recorded on the server's setup commands. */
export const SERVER_ACTOR = 'server';

export interface BreakoutDeps {
  persistence: Persistence;
  sync: SyncServer;
  now: () => number;
}

export interface Breakout {
  /**
   * In automatic mode, puts a new member in the room with the fewest people (R47). Returns the room,
   * or `null` when the setup is not automatic, has no rooms, or the member is a moderator or already
   * placed. Placements of one conversation run one after another, so two people joining at the same
   * moment each see the other's seat.
   */
  placeLateJoiner(options: { conversationId: ConversationId; userId: UserId }): Promise<RoomId | null>;
  /**
   * Removes the rooms, their assignments and their chats (documents and stored messages), including the
   * chats of rooms removed earlier (R50). The main chat, the members and the meta document are not
   * touched. Returns the rooms the setup had.
   */
  deleteRooms(options: { conversationId: ConversationId }): Promise<RoomId[]>;
}

const controlDocName = (conversationId: ConversationId) => getDocName({ conversationId, kind: 'control' });

/**
 * The chat document of a breakout room, or `null` for an id that cannot name one. Room ids come from
 * moderators' replicas, so a crafted id such as `main` must never lead to the main chat.
 */
function roomChatDocName(conversationId: ConversationId, roomId: string): string | null {
  if (roomId === MAIN_ROOM) return null;
  const name = getDocName({ conversationId, kind: 'chat', room: roomId });
  const ref = parseDocName(name);
  return ref && ref.kind === 'chat' && ref.room === roomId ? name : null;
}

export function createBreakout({ persistence, sync, now }: BreakoutDeps): Breakout {
  const placements = new Map<ConversationId, Promise<unknown>>();

  /** Runs `task` after the conversation's earlier placements, whatever their outcome. */
  function serialize<T>(conversationId: ConversationId, task: () => Promise<T>): Promise<T> {
    const previous = placements.get(conversationId) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(task);
    placements.set(conversationId, run);
    const forget = () => {
      if (placements.get(conversationId) === run) placements.delete(conversationId);
    };
    run.then(forget, forget);
    return run;
  }

  async function place(conversationId: ConversationId, userId: UserId): Promise<RoomId | null> {
    // Read after the membership exists and after earlier placements: everyone already seated counts.
    const members: Member[] = (await persistence.listMembers(conversationId)).map((m) => ({
      userId: asUserId(m.userId),
      isModerator: isModerator(m.role)
    }));
    const joiner = members.find((m) => m.userId === userId);
    if (!joiner || joiner.isModerator) return null;
    const participants = new Set(members.filter((m) => !m.isModerator).map((m) => m.userId));
    let placed: RoomId | null = null;
    await sync.writeAsServer(controlDocName(conversationId), (doc) => {
      const state = readBreakoutState(doc);
      if (state.mode !== 'automatic' || state.rooms.length === 0) return;
      const view = tidyBreakout({ state, members });
      if (view.roomOf.has(userId)) return;
      const roomId = pickRoomForLateJoiner(view);
      if (roomId === null) return;
      const result = assignParticipants(doc, {
        userIds: [userId],
        roomId,
        participants,
        now: now(),
        actor: SERVER_ACTOR
      });
      if (!result.ok) throw new Error(result.error);
      placed = roomId;
    });
    return placed;
  }

  return {
    placeLateJoiner({ conversationId, userId }) {
      return serialize(conversationId, () => place(conversationId, userId));
    },

    async deleteRooms({ conversationId }) {
      let roomIds: RoomId[] = [];
      await sync.writeAsServer(controlDocName(conversationId), (doc) => {
        roomIds = readBreakoutState(doc).rooms.map((room) => room.id);
        clearSetup(doc, { actor: SERVER_ACTOR });
      });
      // Rooms removed earlier left their chats behind; those go too.
      const chatPrefix = getDocName({ conversationId, kind: 'chat', room: MAIN_ROOM }).slice(
        0,
        -MAIN_ROOM.length
      );
      const stored = (await persistence.listDocNames(chatPrefix)).map((name) =>
        name.slice(chatPrefix.length)
      );
      const chats = new Set<string>();
      for (const roomId of [...roomIds, ...stored]) {
        const docName = roomChatDocName(conversationId, roomId);
        if (docName) chats.add(docName);
      }
      for (const docName of chats) await sync.deleteDocument(docName);
      await persistence.deleteMessages({ conversationId, exceptRoom: MAIN_ROOM });
      return roomIds;
    }
  };
}
