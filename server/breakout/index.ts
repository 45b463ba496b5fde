/**
 * The server's own writes to the breakout setup, as the trusted writer of the control document
 * (SPEC R40): placing late joiners in automatic mode (R47), deleting the breakout rooms (R50), and the
 * participants' session intents (R77): choosing a room, asking for help, going back to the main room
 * and back into one's room; plus the moderators' broadcast into every room's chat (R79). All of a
 * conversation's server writes here run one after another, in one queue.
 * Moderators' edits never pass through here; they sync directly over their writable connections.
 */
import { createHash } from 'node:crypto';
import type * as Y from 'yjs';
import {
  compareRooms,
  pickRoomForLateJoiner,
  tidyBreakout,
  type BreakoutView,
  type Member
} from '../../src/lib/domain/breakout';
import { MAIN_ROOM, getDocName, parseDocName } from '../../src/lib/domain/docs';
import {
  asMessageId,
  asUserId,
  type ConversationId,
  type MessageId,
  type RoomId,
  type UserId
} from '../../src/lib/domain/ids';
import { isModerator, type Role } from '../../src/lib/domain/roles';
import {
  getLocation,
  getSessionPhase,
  isSessionActive,
  type SessionPhase,
  type SessionRecord
} from '../../src/lib/domain/session';
import {
  assignParticipants,
  clearSetup,
  deleteHelpRequest,
  readBreakoutState,
  readReturned,
  readSession,
  writeHelpRequest,
  writeReturned
} from '../../src/lib/sync/control';
import type { ChatMessage, Persistence } from '../persistence/types';
import { createMetaWriter } from '../sync/metaWriter';
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
   * touched. Returns the rooms the setup had. Runs in the conversation's queue, after a broadcast under
   * way (R79).
   */
  deleteRooms(options: {
    conversationId: ConversationId;
    /** The moderator who asked, named in the setup history (R97); the server's own doing without. */
    actor?: { userId: UserId; displayName: string };
  }): Promise<RoomId[]>;
  /**
   * Where a member is now (R75), from the control document and the server's clock: their role, the
   * room they are assigned to (tidy view), the room they are in (`null` = main room), whether `room`
   * exists in this conversation's setup, and the session with whether they went back to the main room
   * in its run (for the posting grace after it ended, R73).
   */
  locate(options: { conversationId: ConversationId; userId: UserId; room?: string }): Promise<Place>;
  /** "Allow participants to choose": takes a seat in `roomId`, freeing the old one (R77, R78). */
  chooseRoom(options: Intent & { roomId: string }): Promise<IntentResult<{ roomId: RoomId }>>;
  /** "Request help" from the room the participant is in (R80). */
  requestHelp(options: Intent): Promise<IntentResult<{ roomId: RoomId; since: number }>>;
  /** Withdraws the participant's help request; none is not an error (R80). */
  withdrawHelp(options: Intent): Promise<IntentResult<null>>;
  /** "Back to main room", when the session allows it (R75). */
  returnToMain(options: Intent): Promise<IntentResult<null>>;
  /** Back into the assigned room after "Back to main room" (R75). */
  rejoinRoom(options: Intent): Promise<IntentResult<{ roomId: RoomId }>>;
  /**
   * "Broadcast message" (R79): one entry, marked as a broadcast, in every room's chat document and one
   * row per room in the message table, all rows in one transaction. Idempotent by `id`: a retry goes to
   * the rooms of the first attempt only (completing their documents), never to a room added since.
   * Runs in the conversation's queue with `deleteRooms`, so it never recreates a deleted room's chat.
   */
  broadcast(options: {
    conversationId: ConversationId;
    author: { userId: UserId; displayName: string };
    id: MessageId;
    text: string;
  }): Promise<IntentResult<{ messages: ChatMessage[] }>>;
}

export interface Intent {
  conversationId: ConversationId;
  userId: UserId;
}

/** A refusal carries the HTTP status and the sentence the participant reads (R77). */
export type IntentResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 403 | 404 | 409; error: string };

export interface Place {
  role: Role | null;
  phase: SessionPhase;
  assignedRoom: RoomId | null;
  location: RoomId | null;
  roomExists: boolean;
  /** The session as stored (the current run, or the last one once it ended), or `null`. */
  session: SessionRecord | null;
  /** The member went "Back to main room" during that run (R75). */
  returned: boolean;
  /** The server time the place was read at (R71). */
  at: number;
}

export const NO_SESSION = 'No breakout session is running. Wait for a moderator to start one.';
export const SESSION_CLOSING =
  'The breakout rooms are closing; everyone is about to return to the main room.';
const MODERATORS_NOT_SEATED =
  'Moderators are not assigned to rooms; join any room from the list of rooms instead.';
const UNKNOWN_ROOM = 'This room does not exist in this conversation. It may have been removed.';
const ID_TAKEN = 'A message with this id already exists. Send it again with a new id.';

const refuse = (status: 400 | 403 | 404 | 409, error: string) => ({ ok: false as const, status, error });

/**
 * The stored id of a broadcast's copy in one room: derived from the client's id and the room, so every
 * room has its own row (message ids are unique) and a retry finds the same one (R22, R79).
 */
export function broadcastMessageId(id: string, roomId: string): MessageId {
  const digest = createHash('sha256').update(`${id}\u0000${roomId}`).digest('base64url');
  return asMessageId(`b_${digest.slice(0, 40)}`);
}

interface Snapshot {
  doc: Y.Doc;
  members: Member[];
  role: Role | null;
  view: BreakoutView;
  session: SessionRecord | null;
  phase: SessionPhase;
  location: RoomId | null;
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

  /**
   * Runs `task` after the conversation's earlier tasks (placements, intents, broadcasts, deletions),
   * whatever their outcome.
   */
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
    const stored = await persistence.listMembers(conversationId);
    const members: Member[] = stored.map((m) => ({
      userId: asUserId(m.userId),
      isModerator: isModerator(m.role)
    }));
    const joiner = members.find((m) => m.userId === userId);
    if (!joiner || joiner.isModerator) return null;
    const participants = new Set(members.filter((m) => !m.isModerator).map((m) => m.userId));
    const displayName = stored.find((m) => m.userId === userId)?.displayName ?? '';
    let placed: RoomId | null = null;
    // The history records the placement as the server's, for the joiner (R47, R97).
    const forJoiner = { actor: { userId, displayName }, reason: 'late-joiner' as const };
    await sync.writeAsServer(
      controlDocName(conversationId),
      (doc) => {
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
      },
      forJoiner
    );
    return placed;
  }

  const chats = createMetaWriter(sync);

  /** The rooms of this conversation whose chat document is stored, including removed rooms' (R73). */
  async function listStoredRoomChats(conversationId: ConversationId): Promise<string[]> {
    const prefix = getDocName({ conversationId, kind: 'chat', room: MAIN_ROOM }).slice(0, -MAIN_ROOM.length);
    return (await persistence.listDocNames(prefix))
      .map((name) => name.slice(prefix.length))
      .filter((room) => room !== MAIN_ROOM);
  }

  /**
   * Whether broadcast `id` is stored only in rooms removed since: a retry after all of its rooms went,
   * which must not start over in rooms created after it (R79).
   */
  async function wentOnlyToRemovedRooms(conversationId: ConversationId, id: MessageId): Promise<boolean> {
    // Called when no current room has it, so any stored room that has it is a removed one.
    const stored = await listStoredRoomChats(conversationId);
    if (stored.length === 0) return false;
    const found = await persistence.getMessages(stored.map((room) => broadcastMessageId(id, room)));
    return found.some((message) => message.conversationId === conversationId);
  }

  /**
   * Checks and writes one intent as one synchronous step on the loaded control document, after the
   * conversation's earlier intents and placements: two people taking the last seat are decided one
   * after the other, on the same state (R78).
   */
  function runIntent<T>(
    { conversationId, userId }: Intent,
    decide: (snapshot: Snapshot) => IntentResult<T>
  ): Promise<IntentResult<T>> {
    return serialize(conversationId, async () => {
      const stored = await persistence.listMembers(conversationId);
      const members: Member[] = stored.map((m) => ({
        userId: asUserId(m.userId),
        isModerator: isModerator(m.role)
      }));
      const self = stored.find((m) => m.userId === userId);
      const role = self?.role ?? null;
      let result: IntentResult<T> = refuse(403, 'You are not a member of this conversation.');
      if (role === null) return result;
      // The history records what the intent changed as the participant's own doing (R77, R97).
      const forParticipant = {
        actor: { userId, displayName: self?.displayName ?? '' },
        reason: 'intent' as const
      };
      await sync.writeAsServer(
        controlDocName(conversationId),
        (doc) => {
          const view = tidyBreakout({ state: readBreakoutState(doc), members });
          const session = readSession(doc);
          const phase = getSessionPhase({ session, now: now() });
          const location = getLocation({ phase, roomOf: view.roomOf, returned: readReturned(doc), userId });
          result = decide({ doc, members, role, view, session, phase, location });
        },
        forParticipant
      );
      return result;
    });
  }

  /** The common refusals of a participant's intent: moderators, and no session running. */
  function participantInSession(snapshot: Snapshot): IntentResult<never> | null {
    if (isModerator(snapshot.role)) return refuse(403, MODERATORS_NOT_SEATED);
    if (!snapshot.session || !isSessionActive(snapshot.phase)) return refuse(409, NO_SESSION);
    // While the rooms close, people are on their way back: choosing, asking for help and leaving or
    // re-entering a room no longer make sense (R72, R77). Posting in the room still works until it closes.
    if (snapshot.phase.kind === 'closing') return refuse(409, SESSION_CLOSING);
    return null;
  }

  return {
    async locate({ conversationId, userId, room }) {
      const stored = await persistence.listMembers(conversationId);
      const members: Member[] = stored.map((m) => ({
        userId: asUserId(m.userId),
        isModerator: isModerator(m.role)
      }));
      const role = stored.find((m) => m.userId === userId)?.role ?? null;
      return sync.readDoc(controlDocName(conversationId), (doc) => {
        const state = readBreakoutState(doc);
        const view = tidyBreakout({ state, members });
        const session = readSession(doc);
        const at = now();
        const phase = getSessionPhase({ session, now: at });
        const returned = readReturned(doc);
        return {
          role,
          phase,
          assignedRoom: view.roomOf.get(userId) ?? null,
          location: getLocation({ phase, roomOf: view.roomOf, returned, userId }),
          roomExists: room !== undefined && state.rooms.some((r) => r.id === room),
          session,
          returned: returned.has(userId),
          at
        };
      });
    },

    chooseRoom({ conversationId, userId, roomId }) {
      return runIntent({ conversationId, userId }, (snapshot) => {
        const refused = participantInSession(snapshot);
        if (refused) return refused;
        const { doc, view, members } = snapshot;
        if (view.mode !== 'choose') {
          return refuse(
            409,
            'In this session the moderators assign the rooms; choosing is only possible in “Allow participants to choose” mode.'
          );
        }
        const room = view.rooms.find((r) => r.id === roomId);
        if (!room) return refuse(404, UNKNOWN_ROOM);
        const uid = asUserId(userId);
        if (view.roomOf.get(uid) !== room.id) {
          if (room.seatCap !== null && room.members.length >= room.seatCap) {
            return refuse(
              409,
              `“${room.name}” is full (${room.seatCap} of ${room.seatCap} seats). Choose another room.`
            );
          }
          const participants = new Set(members.filter((m) => !m.isModerator).map((m) => m.userId));
          const assigned = assignParticipants(doc, {
            userIds: [uid],
            roomId: room.id,
            participants,
            now: now(),
            actor: SERVER_ACTOR
          });
          if (!assigned.ok) return refuse(409, assigned.error);
        }
        writeReturned(doc, { userId: uid, runId: null, actor: SERVER_ACTOR });
        return { ok: true, value: { roomId: room.id } };
      });
    },

    requestHelp(intent) {
      return runIntent(intent, (snapshot) => {
        const refused = participantInSession(snapshot);
        if (refused) return refused;
        if (snapshot.location === null) {
          return refuse(409, 'You are in the main room. Help requests are for people in a breakout room.');
        }
        const since = writeHelpRequest(snapshot.doc, {
          userId: intent.userId,
          roomId: snapshot.location,
          runId: snapshot.session!.runId,
          now: now(),
          actor: SERVER_ACTOR
        });
        return { ok: true, value: { roomId: snapshot.location, since } };
      });
    },

    withdrawHelp(intent) {
      return runIntent(intent, ({ doc }) => {
        deleteHelpRequest(doc, { userId: intent.userId, actor: SERVER_ACTOR });
        return { ok: true, value: null };
      });
    },

    returnToMain(intent) {
      return runIntent(intent, (snapshot) => {
        const refused = participantInSession(snapshot);
        if (refused) return refused;
        if (!snapshot.session!.allowReturn) {
          return refuse(
            403,
            'The moderators have not allowed going back to the main room during this session.'
          );
        }
        if (snapshot.location === null) return refuse(409, 'You are already in the main room.');
        writeReturned(snapshot.doc, {
          userId: intent.userId,
          runId: snapshot.session!.runId,
          actor: SERVER_ACTOR
        });
        return { ok: true, value: null };
      });
    },

    rejoinRoom(intent) {
      return runIntent(intent, (snapshot) => {
        const refused = participantInSession(snapshot);
        if (refused) return refused;
        const roomId = snapshot.view.roomOf.get(intent.userId);
        if (roomId === undefined) {
          return refuse(409, 'You have no breakout room to go back to. You stay in the main room.');
        }
        writeReturned(snapshot.doc, { userId: intent.userId, runId: null, actor: SERVER_ACTOR });
        return { ok: true, value: { roomId } };
      });
    },

    broadcast({ conversationId, author, id, text }) {
      // In the conversation's queue: a deletion of the rooms waits for it, and it for the deletion, so
      // a broadcast can never bring a deleted room's chat back (R50, R79).
      return serialize(conversationId, async () => {
        const rooms = (
          await sync.readDoc(controlDocName(conversationId), (doc) =>
            readBreakoutState(doc).rooms.sort(compareRooms)
          )
        ).filter((room) => roomChatDocName(conversationId, room.id) !== null);
        if (rooms.length === 0) {
          return refuse(400, 'There are no breakout rooms to broadcast to. Set up breakout rooms first.');
        }
        const collides = (message: ChatMessage) =>
          message.authorId !== author.userId || message.conversationId !== conversationId;
        // A retry (R22, R79): the rooms are those of the first attempt, whose rows went in together.
        // Their documents are completed; a room added since gets nothing, a room removed since is skipped.
        const earlier = await persistence.getMessages(rooms.map((room) => broadcastMessageId(id, room.id)));
        if (earlier.some(collides)) return refuse(409, ID_TAKEN);
        let messages: ChatMessage[];
        if (earlier.length > 0 || (await wentOnlyToRemovedRooms(conversationId, id))) {
          messages = earlier;
        } else {
          const createdAt = now();
          const stored = await persistence.appendMessages(
            rooms.map((room) => ({
              id: broadcastMessageId(id, room.id),
              conversationId,
              room: room.id,
              authorId: author.userId,
              authorName: author.displayName,
              text,
              createdAt,
              broadcast: true
            }))
          );
          // Only a post that took a derived id at the same moment could be here; its row stays its own.
          if (stored.some(({ message, inserted }) => !inserted && collides(message))) {
            return refuse(409, ID_TAKEN);
          }
          messages = stored.map(({ message }) => message);
        }
        for (const message of messages) {
          // Idempotent: a retry completes a first attempt that stopped between the table and a document.
          await chats.appendChatOnce({
            conversationId,
            room: message.room,
            entry: {
              id: message.id,
              authorId: message.authorId,
              authorName: message.authorName,
              text: message.text,
              createdAt: message.createdAt,
              broadcast: true
            }
          });
        }
        return { ok: true, value: { messages } };
      });
    },

    placeLateJoiner({ conversationId, userId }) {
      return serialize(conversationId, () => place(conversationId, userId));
    },

    deleteRooms({ conversationId, actor }) {
      return serialize(conversationId, async () => {
        let roomIds: RoomId[] = [];
        await sync.writeAsServer(
          controlDocName(conversationId),
          (doc) => {
            roomIds = readBreakoutState(doc).rooms.map((room) => room.id);
            clearSetup(doc, { actor: SERVER_ACTOR });
          },
          actor ? { actor } : undefined
        );
        // Rooms removed earlier left their chats behind; those go too.
        const stored = await listStoredRoomChats(conversationId);
        const docNames = new Set<string>();
        for (const roomId of [...roomIds, ...stored]) {
          const docName = roomChatDocName(conversationId, roomId);
          if (docName) docNames.add(docName);
        }
        for (const docName of docNames) await sync.deleteDocument(docName);
        await persistence.deleteMessages({ conversationId, exceptRoom: MAIN_ROOM });
        return roomIds;
      });
    }
  };
}
