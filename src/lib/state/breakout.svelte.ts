import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import {
  tidyBreakout,
  type AssignmentMode,
  type BreakoutState,
  type BreakoutView,
  type Member
} from '../domain/breakout';
import type { RoomId, UserId } from '../domain/ids';
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
import { createSetupPresence } from '../sync/presence';
import type { MetaMember } from '../sync/schema';
import { createSetupUndo, type SetupUndo } from '../sync/undo';
import { toDomainMembers, toPerson, type Person, type RoomCard } from './breakoutView';
import { PresenceState } from './presence.svelte';

export { previewAutoAssign, type Person, type PreviewRoom, type RoomCard } from './breakoutView';
export type { PresenceState, RoomEditor } from './presence.svelte';

const EMPTY_STATE: BreakoutState = { mode: null, rooms: [], assignments: new Map() };

/**
 * The breakout setup of one conversation, live from its control document (SPEC R40–R50). Reads are the
 * domain's tidy view, so every replica shows the same rooms; writes are the named commands of
 * `sync/control`, issued as this user. A refused command leaves its sentence in `error` for the page.
 * `undo()` and `redo()` act on this tab's own setup commands (R96); `presence` says who else works on
 * the setup and on what (R95).
 */
export class BreakoutSetupState {
  #raw = $state.raw<BreakoutState>(EMPTY_STATE);
  #getMembers: () => MetaMember[] = () => [];
  #doc: Y.Doc;
  #userId: string;
  #unobserve: () => void;
  #undo: SetupUndo;
  #unsubscribeUndo: () => void;
  #canUndo = $state(false);
  #canRedo = $state(false);

  /** The last refused command's sentence, until dismissed or the next command succeeds. */
  error = $state<string | null>(null);
  /** What the last undo or redo could not do, as a sentence (nothing is wrong; nothing changed). */
  notice = $state<string | null>(null);
  /** Co-moderators in the setup now, and what this tab works on (R95). */
  readonly presence: PresenceState;

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

  constructor({
    doc,
    userId,
    getMembers,
    awareness = null
  }: {
    doc: Y.Doc;
    userId: string;
    getMembers: () => MetaMember[];
    /** The control document's presence (the provider's awareness); none in tests without a server. */
    awareness?: Awareness | null;
  }) {
    this.#doc = doc;
    this.#userId = userId;
    this.#getMembers = getMembers;
    const read = () => {
      this.#raw = readBreakoutState(doc);
    };
    read();
    this.#unobserve = observeControl(doc, read, ['setup']);
    this.#undo = createSetupUndo(doc);
    this.#unsubscribeUndo = this.#undo.subscribe(() => {
      this.#canUndo = this.#undo.canUndo;
      this.#canRedo = this.#undo.canRedo;
    });
    this.presence = new PresenceState({
      presence: awareness ? createSetupPresence(awareness) : null,
      userId,
      isParticipant: (id) => this.members.some((m) => m.userId === id && !m.isModerator)
    });
  }

  /** This tab has a setup command of its own that "Undo" can revert (R96). */
  get canUndo(): boolean {
    return this.#canUndo;
  }

  get canRedo(): boolean {
    return this.#canRedo;
  }

  /**
   * Reverts this tab's newest setup command (R96). When a co-moderator has since changed everything it
   * did, their values stay, nothing changes, and `notice` says so.
   */
  undo(): boolean {
    return this.#step(() => this.#undo.undo(), 'undo');
  }

  redo(): boolean {
    return this.#step(() => this.#undo.redo(), 'redo');
  }

  #step(run: () => boolean, kind: 'undo' | 'redo'): boolean {
    if (!(kind === 'undo' ? this.#undo.canUndo : this.#undo.canRedo)) return false;
    const changed = run();
    this.error = null;
    this.notice = changed
      ? null
      : kind === 'undo'
        ? 'Nothing was undone: someone else has changed that since, and their change stays.'
        : 'Nothing was redone: someone else has changed that since, and their change stays.';
    return changed;
  }

  dismissNotice(): void {
    this.notice = null;
  }

  #report<T>(result: Checked<T>): Checked<T> {
    this.error = result.ok ? null : result.error;
    this.notice = null;
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
    // Creating and spreading the people are one step for "Undo" (R96).
    return this.#undo.asOneStep(() => {
      const created = createRooms(this.#doc, { count, mode, names, actor: this.#userId });
      if (!created.ok || mode !== 'automatic' || seed === undefined) return this.#report(created);
      const assigned = autoAssign(this.#doc, {
        members: this.members,
        seed,
        now: Date.now(),
        actor: this.#userId
      });
      return assigned.ok ? this.#report(created) : this.#report(assigned);
    });
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
    // The move is made: whatever menu it was chosen in has done its work (R95).
    this.presence.stop('assigning');
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
    // A deleted setup is not brought back by "Undo".
    this.#undo.clear();
  }

  destroy(): void {
    this.#unobserve();
    this.#unsubscribeUndo();
    this.#undo.destroy();
    this.presence.destroy();
  }
}
