import type * as Y from 'yjs';
import {
  tidyBreakout,
  type AssignmentMode,
  type BreakoutState,
  type BreakoutView,
  type Member
} from '../domain/breakout';
import { getDocName } from '../domain/docs';
import { asConversationId, type RoomId, type UserId } from '../domain/ids';
import type { Checked } from '../domain/validation';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  clearSetup,
  createRooms,
  observeControl,
  readBreakoutState,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap
} from '../sync/control';
import { openDoc, type DocConnection } from '../sync/openDoc';
import type { MetaMember } from '../sync/schema';
import { toDomainMembers, toPerson, type Person, type RoomCard } from './breakoutView';

export { previewAutoAssign, type Person, type PreviewRoom, type RoomCard } from './breakoutView';

const EMPTY_STATE: BreakoutState = { mode: null, rooms: [], assignments: new Map() };

/**
 * The breakout setup of one conversation, live from its control document (SPEC R40–R50). Reads are the
 * domain's tidy view, so every replica shows the same rooms; writes are the named commands of
 * `sync/control`, issued as this user. A refused command leaves its sentence in `error` for the page.
 */
export class BreakoutSetupState {
  #raw = $state<BreakoutState>(EMPTY_STATE);
  #getMembers: () => MetaMember[] = () => [];
  #doc: Y.Doc;
  #userId: string;
  #unobserve: () => void;

  /** The last refused command's sentence, until dismissed or the next command succeeds. */
  error = $state<string | null>(null);

  readonly members: Member[] = $derived(toDomainMembers(this.#getMembers()));
  readonly view: BreakoutView = $derived(tidyBreakout({ state: this.#raw, members: this.members }));
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt whole on change, never mutated
  readonly #names = $derived(new Map(this.#getMembers().map((m) => [m.userId, m.displayName])));
  readonly rooms: RoomCard[] = $derived(
    this.view.rooms.map((room) => ({
      ...room,
      people: room.members.map((id) => toPerson(id, this.#names))
    }))
  );
  readonly unassigned: Person[] = $derived(this.view.unassigned.map((id) => toPerson(id, this.#names)));
  readonly mode: AssignmentMode | null = $derived(this.view.mode);
  readonly hasRooms: boolean = $derived(this.view.rooms.length > 0);
  /** Everyone who may be assigned: the current non-moderator members (R46). */
  readonly participants: ReadonlySet<UserId> = $derived(
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt whole on change, never mutated
    new Set(this.members.filter((m) => !m.isModerator).map((m) => m.userId))
  );

  /** A member's display name ("Unknown member" for someone who left). */
  nameOf(userId: UserId | string): string {
    return toPerson(userId as UserId, this.#names).displayName;
  }

  constructor({ doc, userId, getMembers }: { doc: Y.Doc; userId: string; getMembers: () => MetaMember[] }) {
    this.#doc = doc;
    this.#userId = userId;
    this.#getMembers = getMembers;
    const read = () => {
      this.#raw = readBreakoutState(doc);
    };
    read();
    this.#unobserve = observeControl(doc, read, ['setup']);
  }

  /** Opens the conversation's control document (IndexedDB first, then the server) and reads it. */
  static async open({
    conversationId,
    userId,
    getMembers
  }: {
    conversationId: string;
    userId: string;
    getMembers: () => MetaMember[];
  }): Promise<{ state: BreakoutSetupState; connection: DocConnection }> {
    const docName = getDocName({ conversationId: asConversationId(conversationId), kind: 'control' });
    const connection = await openDoc({ docName, userId });
    return { state: new BreakoutSetupState({ doc: connection.doc, userId, getMembers }), connection };
  }

  #report<T>(result: Checked<T>): Checked<T> {
    this.error = result.ok ? null : result.error;
    return result;
  }

  dismissError(): void {
    this.error = null;
  }

  /**
   * The first setup. In automatic mode the people are spread with the seed the dialog previewed, so what
   * was shown is what gets written.
   */
  createRooms({
    count,
    mode,
    names,
    seed
  }: {
    count: number;
    mode: AssignmentMode;
    names?: string[];
    seed?: number;
  }): Checked<RoomId[]> {
    const created = createRooms(this.#doc, { count, mode, names, actor: this.#userId });
    if (!created.ok || mode !== 'automatic' || seed === undefined) return this.#report(created);
    const assigned = autoAssign(this.#doc, {
      members: this.members,
      seed,
      now: Date.now(),
      actor: this.#userId
    });
    return assigned.ok ? this.#report(created) : this.#report(assigned);
  }

  addRoom(name?: string): Checked<RoomId> {
    return this.#report(addRoom(this.#doc, { name, actor: this.#userId }));
  }

  renameRoom(roomId: RoomId, name: string): Checked<string> {
    return this.#report(renameRoom(this.#doc, { roomId, name, actor: this.#userId }));
  }

  removeRoom(roomId: RoomId): Checked<null> {
    return this.#report(removeRoom(this.#doc, { roomId, actor: this.#userId }));
  }

  setMode(mode: AssignmentMode): Checked<AssignmentMode> {
    return this.#report(setMode(this.#doc, { mode, actor: this.#userId }));
  }

  setSeatCap(roomId: RoomId, seatCap: unknown): Checked<number | null> {
    return this.#report(setSeatCap(this.#doc, { roomId, seatCap, actor: this.#userId }));
  }

  /** Moves people into `roomId`, or back to the main room with `null`. */
  assign(userIds: UserId[], roomId: RoomId | null): Checked<number> {
    return this.#report(
      assignParticipants(this.#doc, {
        userIds,
        roomId,
        participants: this.participants,
        now: Date.now(),
        actor: this.#userId
      })
    );
  }

  reshuffle(seed: number): Checked<number> {
    return this.#report(
      autoAssign(this.#doc, { members: this.members, seed, now: Date.now(), actor: this.#userId })
    );
  }

  /**
   * Clears the local copy after the server deleted the setup (R50), so the page shows it at once; the
   * server's own deletion arrives through sync and merges with this one.
   */
  clearLocal(): void {
    clearSetup(this.#doc, { actor: this.#userId });
  }

  destroy(): void {
    this.#unobserve();
  }
}
