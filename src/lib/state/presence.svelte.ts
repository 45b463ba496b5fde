import type { RoomId, UserId } from '../domain/ids';
import { describeEditing, type Editing, type EditingAction, type Peer } from '../domain/presence';
import type { SetupPresence } from '../sync/presence';

/** A co-moderator working on a room, with the words that say so ("Bob is renaming"). */
export interface RoomEditor extends Peer {
  editing: Editing;
  label: string;
}

/**
 * Who else works on the breakout setup now, and on what (SPEC R95), live from the control document's
 * presence; and what this tab says it works on. Without a connection (tests, a document that never
 * connected) nobody else is shown and nothing is said.
 */
export class PresenceState {
  #presence: SetupPresence | null;
  #userId: string;
  #isParticipant: (userId: UserId) => boolean;
  #peers = $state.raw<Peer[]>([]);
  #editing = $state<Editing | null>(null);
  #unsubscribe: () => void = () => {};

  /**
   * The co-moderators in the setup now (never oneself, also not one's other tabs), by name. Someone the
   * member list already shows as a participant (demoted a moment ago) is left out at once.
   */
  readonly coModerators: Peer[] = $derived(
    this.#peers.filter((p) => p.userId !== this.#userId && !this.#isParticipant(p.userId))
  );

  /** Co-moderators by the room they work on. */
  readonly #byRoom: ReadonlyMap<RoomId, RoomEditor[]> = $derived.by(() => {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt whole on change, never mutated
    const byRoom = new Map<RoomId, RoomEditor[]>();
    for (const peer of this.coModerators) {
      if (!peer.editing) continue;
      const editor: RoomEditor = {
        ...peer,
        editing: peer.editing,
        label: describeEditing(peer.name, peer.editing.action)
      };
      const list = byRoom.get(peer.editing.roomId);
      if (list) list.push(editor);
      else byRoom.set(peer.editing.roomId, [editor]);
    }
    return byRoom;
  });

  constructor({
    presence,
    userId,
    isParticipant = () => false
  }: {
    presence: SetupPresence | null;
    userId: string;
    /** True for a member known to be a participant or guest (not a moderator). */
    isParticipant?: (userId: UserId) => boolean;
  }) {
    this.#presence = presence;
    this.#userId = userId;
    this.#isParticipant = isParticipant;
    if (presence) {
      const read = () => {
        this.#peers = presence.getPeers();
      };
      read();
      this.#unsubscribe = presence.subscribe(read);
    }
  }

  /** What this tab says it works on. */
  get editing(): Editing | null {
    return this.#editing;
  }

  /** The co-moderators working on `roomId` now. */
  editorsOf(roomId: RoomId): RoomEditor[] {
    return this.#byRoom.get(roomId) ?? [];
  }

  /** This tab works on `roomId` now: focused its name, drags someone over it, or opened a move menu in it. */
  start(roomId: RoomId, action: EditingAction): void {
    this.#set({ roomId, action });
  }

  /**
   * This tab stopped doing `action` (on `roomId`, when given). A late "stop" of something already
   * replaced (focus went from one room's name to another's) changes nothing.
   */
  stop(action: EditingAction, roomId?: RoomId | null): void {
    const current = this.#editing;
    if (!current || current.action !== action) return;
    if (roomId !== undefined && roomId !== null && current.roomId !== roomId) return;
    this.#set(null);
  }

  /** Shows this tab's presence again (a promoted moderator shows up at once, R95). */
  announce(): void {
    this.#presence?.announce();
  }

  #set(editing: Editing | null): void {
    this.#editing = editing;
    this.#presence?.setEditing(editing);
  }

  destroy(): void {
    this.#unsubscribe();
    this.#presence?.destroy();
  }
}
