import type * as Y from 'yjs';
import { api, ApiError, getErrorMessage } from '../api/client';
import { serverNow } from '../api/serverClock';
import type { RoomId, UserId } from '../domain/ids';
import { asUserId } from '../domain/ids';
import {
  getLocation,
  getSessionPhase,
  type ClosingSeconds,
  type SessionPhase,
  type SessionRecord
} from '../domain/session';
import type { Checked } from '../domain/validation';
import {
  clearHelpRequestsForRoom,
  dismissHelpRequest,
  endSession,
  extendTimer,
  observeControl,
  readHelpRequests,
  readReturned,
  readSession,
  startSession,
  type HelpRequest
} from '../sync/control';
import { newMessageId } from '../sync/outbox';
import type { BreakoutSetupState, RoomCard } from './breakout.svelte';

/**
 * - `started`: a run began (R74); `moved`: a moderator changed where this participant is (R75);
 * - `assigned`: a moderator changed the room of someone who is in the main room by choice (R75), so the
 *   notice names the room without saying they are in it;
 * - `removed`: their room went (R76); `closing` / `ended`: the end of a run (R72).
 */
export type SessionNoticeKind = 'started' | 'moved' | 'assigned' | 'removed' | 'closing' | 'ended';

export interface SessionNotice {
  kind: SessionNoticeKind;
  text: string;
}

/** "m:ss" of a countdown; a started second counts as a whole one, so it never shows 0:00 while running. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** What a participant's situation was at one moment; notices come from the change between two. */
export interface Snapshot {
  /** The run going on (running or closing), or `null` when idle. */
  runId: string | null;
  /** Where the participant is (R75): their room, or `null` for the main room. */
  roomId: RoomId | null;
  /**
   * The room the setup gives them, whether or not they are in it: they may have gone "Back to main room".
   * Omitted: the same as `roomId`.
   */
  assigned?: RoomId | null;
  /** The closing countdown is on (R72). */
  closing?: boolean;
}

const assignedOf = (s: Snapshot): RoomId | null => (s.assigned === undefined ? s.roomId : s.assigned);

/**
 * The notice for a change of where this participant is (R74–R76), or `null` when nothing worth saying
 * happened. Notices describe the location, not the assignment: someone who went "Back to main room"
 * is told nothing about it, and a later move of theirs names the new room without claiming they are
 * in it. `chose` is the room this user picked themselves (choose mode): no "moderator moved you" then.
 */
export function describeChange({
  before,
  after,
  roomName,
  roomExists,
  moveAutomatically,
  choosing,
  chose
}: {
  before: Snapshot;
  after: Snapshot;
  roomName: (roomId: RoomId) => string;
  roomExists: (roomId: RoomId) => boolean;
  moveAutomatically: boolean;
  /** "Allow participants to choose": someone without a room is invited to pick one. */
  choosing: boolean;
  chose: RoomId | null;
}): SessionNotice | null {
  const wasAssigned = assignedOf(before);
  const isAssigned = assignedOf(after);
  if (after.runId !== null && after.closing && (!before.closing || before.runId !== after.runId)) {
    // Only people in a room go anywhere when it ends.
    return after.roomId === null
      ? null
      : {
          kind: 'closing',
          text: 'Breakout sessions are ending. You will be back in the main room when the countdown ends.'
        };
  }
  if (before.runId !== after.runId) {
    if (after.runId !== null) {
      if (after.roomId === null) {
        // In the main room from the first look at this run: unassigned, or already gone back (a reload).
        return choosing && isAssigned === null
          ? { kind: 'started', text: 'Breakout sessions have started. Choose a room.' }
          : null;
      }
      return {
        kind: 'started',
        text: moveAutomatically
          ? `Breakout sessions have started. You are in ${roomName(after.roomId)}.`
          : `Breakout sessions have started. Join ${roomName(after.roomId)} when you are ready.`
      };
    }
    if (before.roomId !== null) {
      return { kind: 'ended', text: 'Breakout sessions have ended. You are back in the main room.' };
    }
    // Back in the main room already: the end changes where their room button leads, not where they are.
    return wasAssigned !== null ? { kind: 'ended', text: 'Breakout sessions have ended.' } : null;
  }
  if (after.runId === null) return null;

  if (before.roomId === after.roomId) {
    if (after.roomId !== null || wasAssigned === isAssigned) return null;
    // In the main room by choice while a moderator changes their room: they stay where they are.
    if (isAssigned !== null) {
      return chose === isAssigned
        ? null
        : {
            kind: 'assigned',
            text: `A moderator assigned you to ${roomName(isAssigned)}. You are still in the main room.`
          };
    }
    return wasAssigned !== null && !roomExists(wasAssigned)
      ? { kind: 'removed', text: 'Your breakout room was removed.' }
      : { kind: 'assigned', text: 'A moderator took you out of your breakout room.' };
  }

  if (after.roomId === null) {
    const left = before.roomId as RoomId;
    // "Back to main room" is their own step: their room is still theirs.
    if (isAssigned === left) return null;
    if (!roomExists(left)) {
      return { kind: 'removed', text: 'Your room was removed. You are back in the main room.' };
    }
    if (isAssigned !== null) {
      return {
        kind: 'assigned',
        text: `A moderator assigned you to ${roomName(isAssigned)}. You are still in the main room.`
      };
    }
    return { kind: 'moved', text: 'A moderator moved you back to the main room.' };
  }
  if (chose === after.roomId) return null;
  // "Return to <room>" after going back: their own step too.
  if (before.roomId === null && wasAssigned === after.roomId) return null;
  return { kind: 'moved', text: `A moderator moved you to ${roomName(after.roomId)}.` };
}

/**
 * A breakout session as this user lives it (SPEC R70–R81), live from the control document: the phase
 * (derived from stored moments and the server's clock as this page estimates it, ticking once a second,
 * so countdowns move and a timer ends with nobody online, at the moment the server thinks so too), where
 * this user is, the help requests, and notices when their place changes. Notices wait for the control
 * document's first sync with the server, so a stale local copy never announces anything; offline, the
 * local copy is all there is and is used. Moderators' commands write the control document, stamped with
 * the server's time; participants' actions are intents to the server.
 */
export class SessionState {
  #session = $state<SessionRecord | null>(null);
  #help = $state.raw<HelpRequest[]>([]);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole on every read, never mutated
  #returned = $state<ReadonlySet<UserId>>(new Set());
  #clock: () => number;
  #now = $state(0);
  /** The control document has had the server's state at least once (it started as IndexedDB's copy). */
  #synced = $state(true);
  /** The browser is offline: the local copy is all there is. */
  #offline = $state(false);
  #doc: Y.Doc;
  #userId: UserId;
  #conversationId: string;
  #breakout: BreakoutSetupState;
  #isModerator: () => boolean;
  #cleanups: (() => void)[] = [];
  /** The run in which this user took up the invitation to their room ("Join <room>", a choice, a move). */
  #joinedRun = $state<string | null>(null);
  /** The room this user last chose themselves, so their own switch is not announced as a move. */
  #chose: RoomId | null = null;
  #last: Snapshot | null = null;

  /** The room a moderator is visiting ("Join room"), or `null` for the main room. */
  visiting = $state<RoomId | null>(null);
  notice = $state<SessionNotice | null>(null);
  /** The last refused command or intent, as the sentence to show. */
  error = $state<string | null>(null);
  /** An intent is on its way to the server. */
  busy = $state(false);

  readonly session: SessionRecord | null = $derived(this.#session);
  readonly phase: SessionPhase = $derived(getSessionPhase({ session: this.#session, now: this.#now }));
  readonly active: boolean = $derived(this.phase.kind !== 'idle');
  readonly running: boolean = $derived(this.phase.kind === 'running');
  readonly closing: boolean = $derived(this.phase.kind === 'closing');
  readonly remainingMs: number | null = $derived(this.phase.kind === 'idle' ? null : this.phase.remainingMs);
  /**
   * Requests of this run whose asker is still in the room they name (R80): one left behind by a merge
   * (the room removed, the asker moved or back in the main room meanwhile) is not shown.
   */
  readonly helpRequests: HelpRequest[] = $derived.by(() => {
    if (!this.active) return [];
    const roomOf = this.#breakout.view.roomOf;
    return this.#help.filter((r) => roomOf.get(r.userId) === r.roomId && !this.#returned.has(r.userId));
  });
  /** This user's room in the setup while a session is on, whether or not they are in it now. */
  readonly assignedRoomId: RoomId | null = $derived.by(() =>
    this.active ? (this.#breakout.view.roomOf.get(this.#userId) ?? null) : null
  );
  /** Where the rules put this user (R75): their room, or the main room (`null`). */
  readonly location: RoomId | null = $derived.by(() =>
    getLocation({
      phase: this.phase,
      roomOf: this.#breakout.view.roomOf,
      returned: this.#returned,
      userId: this.#userId
    })
  );
  readonly hasReturned: boolean = $derived.by(() => this.active && this.#returned.has(this.#userId));
  /** With "Move participants automatically" off, people are in their room once they joined it. */
  readonly joined: boolean = $derived(
    this.#session !== null && (this.#session.moveAutomatically || this.#joinedRun === this.#session.runId)
  );
  /** The room whose view this page shows, or `null` for the main room. */
  readonly viewRoomId: RoomId | null = $derived.by(() => {
    if (!this.active) return null;
    if (this.#isModerator()) {
      return this.visiting !== null && this.#breakout.rooms.some((r) => r.id === this.visiting)
        ? this.visiting
        : null;
    }
    return this.location !== null && this.joined ? this.location : null;
  });
  readonly viewRoom: RoomCard | null = $derived.by(() =>
    this.viewRoomId === null ? null : (this.#breakout.rooms.find((r) => r.id === this.viewRoomId) ?? null)
  );
  readonly assignedRoom: RoomCard | null = $derived.by(() =>
    this.assignedRoomId === null
      ? null
      : (this.#breakout.rooms.find((r) => r.id === this.assignedRoomId) ?? null)
  );
  readonly myHelpRequest: HelpRequest | null = $derived(
    this.helpRequests.find((r) => r.userId === this.#userId) ?? null
  );
  /** Participants may pick or switch rooms themselves: "Allow participants to choose", while running. */
  readonly mayChoose: boolean = $derived.by(
    () => this.running && !this.#isModerator() && this.#breakout.mode === 'choose'
  );

  constructor({
    doc,
    userId,
    conversationId,
    breakout,
    isModerator,
    clock = serverNow,
    synced = true,
    offline = false
  }: {
    doc: Y.Doc;
    userId: string;
    conversationId: string;
    breakout: BreakoutSetupState;
    isModerator: () => boolean;
    /** The time moments are stamped with and phases derived from: the server's, as estimated (R71). */
    clock?: () => number;
    /**
     * Whether the control document has synced with the server yet; when not, call `markSynced()` once it
     * has. Notices wait for it unless `offline`.
     */
    synced?: boolean;
    offline?: boolean;
  }) {
    this.#clock = clock;
    this.#now = clock();
    this.#synced = synced;
    this.#offline = offline;
    this.#doc = doc;
    this.#userId = asUserId(userId);
    this.#conversationId = conversationId;
    this.#breakout = breakout;
    this.#isModerator = isModerator;
    try {
      this.#joinedRun = sessionStorage.getItem(`parley:joined:${conversationId}`);
    } catch {
      // See #markJoined.
    }
    const read = () => {
      this.#session = readSession(doc);
      this.#help = readHelpRequests(doc);
      this.#returned = readReturned(doc);
    };
    read();
    this.#cleanups.push(observeControl(doc, read, ['session']));
    const timer = setInterval(() => (this.#now = this.#clock()), 1000);
    this.#cleanups.push(() => clearInterval(timer));
    // Notices follow the derived place, which also depends on the member list; an effect sees both.
    this.#cleanups.push(
      $effect.root(() => {
        $effect(() => this.refreshNotice());
      })
    );
  }

  /** For tests: the clock the phase is derived from. */
  setNow(now: number): void {
    this.#now = now;
  }

  /** The control document has received the server's state: notices may speak from now on. */
  markSynced(): void {
    this.#synced = true;
  }

  /** Offline, notices come from the local copy, there being nothing else (R18). */
  setOffline(offline: boolean): void {
    this.#offline = offline;
  }

  /**
   * Compares where this user is with the last time and sets the notice for the change. An effect runs it
   * after every change; tests call it directly (effects do not run in the server build they use).
   */
  refreshNotice(): void {
    // Until the member list has this user, the tidy view has no room for anyone: nothing to compare.
    const known = this.#breakout.members.some((m) => m.userId === this.#userId);
    if (!known || this.#isModerator()) {
      if (this.#isModerator()) this.#last = null;
      if (!this.active) this.visiting = null;
      return;
    }
    // The IndexedDB copy may be hours old (a run that ended since, a move): compare nothing until the
    // server's state is in, unless offline, where the local copy is all there is.
    if (!this.#synced && !this.#offline) return;
    const now: Snapshot = {
      runId: this.active ? (this.#session?.runId ?? null) : null,
      roomId: this.location,
      assigned: this.assignedRoomId,
      closing: this.closing
    };
    const before: Snapshot = this.#last ?? { runId: null, roomId: null, assigned: null };
    this.#last = now;
    if (
      before.runId === now.runId &&
      before.roomId === now.roomId &&
      before.assigned === now.assigned &&
      before.closing === now.closing
    ) {
      return;
    }
    const rooms = this.#breakout.rooms;
    const notice = describeChange({
      before,
      after: now,
      roomName: (id) => rooms.find((r) => r.id === id)?.name ?? 'your room',
      roomExists: (id) => rooms.some((r) => r.id === id),
      // Someone who already joined in this tab (then reloaded) is in their room: say so.
      moveAutomatically: this.joined || (this.#session?.moveAutomatically ?? true),
      choosing: this.#breakout.mode === 'choose',
      chose: this.#chose
    });
    // A move into a room switches the view at once (R75), also when people otherwise join from the notice.
    if (notice?.kind === 'moved' && now.runId !== null && now.roomId !== null) this.#markJoined();
    if (now.runId === null) this.#chose = null;
    if (notice) this.#announce(notice);
  }

  #announce(notice: SessionNotice): void {
    this.notice = notice;
    if (
      typeof document !== 'undefined' &&
      document.hidden &&
      typeof Notification !== 'undefined' &&
      Notification.permission === 'granted'
    ) {
      try {
        new Notification('Parley', { body: notice.text, tag: `parley-${this.#conversationId}` });
      } catch {
        // Some browsers only allow notifications from a service worker; the in-page notice remains.
      }
    }
  }

  dismissNotice(): void {
    this.notice = null;
  }

  /** "Join <room>" from the notice, when people are not moved automatically (R74). */
  joinAssignedRoom(): void {
    this.#markJoined();
    this.notice = null;
  }

  /** Remembered for the tab, so a reload during the run does not ask to join again. */
  #markJoined(): void {
    if (!this.#session) return;
    this.#joinedRun = this.#session.runId;
    try {
      sessionStorage.setItem(`parley:joined:${this.#conversationId}`, this.#session.runId);
    } catch {
      // No storage (tests, private mode): joining again after a reload is the only cost.
    }
  }

  #report<T>(result: Checked<T>): Checked<T> {
    this.error = result.ok ? null : result.error;
    return result;
  }

  dismissError(): void {
    this.error = null;
  }

  // Moderators: writes to the control document (R70).

  start(options: {
    timerMinutes: number | null;
    moveAutomatically: boolean;
    allowReturn: boolean;
  }): Checked<SessionRecord> {
    const now = this.#clock();
    const result = startSession(this.#doc, { ...options, now, actor: this.#userId });
    if (result.ok) this.#now = now;
    return this.#report(result);
  }

  end(closingSeconds: ClosingSeconds): Checked<SessionRecord> {
    const now = this.#clock();
    const result = endSession(this.#doc, { closingSeconds, now, actor: this.#userId });
    if (result.ok) this.#now = now;
    return this.#report(result);
  }

  extend(minutes: number): Checked<SessionRecord> {
    return this.#report(extendTimer(this.#doc, { minutes, now: this.#clock(), actor: this.#userId }));
  }

  dismissHelp(userId: UserId): void {
    this.#report(dismissHelpRequest(this.#doc, { userId, actor: this.#userId }));
  }

  /** A moderator enters a room's view; the room's help requests are answered by that (R80). */
  visit(roomId: RoomId | null): void {
    this.visiting = roomId;
    if (roomId !== null) this.#report(clearHelpRequestsForRoom(this.#doc, { roomId, actor: this.#userId }));
  }

  /** "Broadcast message" (R79); resolves to the refusal's sentence, or `null` once stored. */
  async broadcast(text: string): Promise<string | null> {
    try {
      await api.broadcast(this.#conversationId, { id: newMessageId(), text });
      return null;
    } catch (error) {
      return getErrorMessage(error);
    }
  }

  // Participants: intents the server checks and writes (R77).

  /**
   * Sends one intent now, or refuses it at once (R92): these only make sense live, so offline nothing is
   * queued or sent later, and the sentence says so. `action` names it for that sentence ("Choosing a room").
   */
  async #intent(action: string, send: () => Promise<void>): Promise<boolean> {
    const later = `${action} needs a connection to the server; try again when you are back online.`;
    if (this.#offline || (typeof navigator !== 'undefined' && navigator.onLine === false)) {
      this.error = `You are offline. ${later}`;
      return false;
    }
    this.busy = true;
    this.error = null;
    try {
      await send();
      return true;
    } catch (error) {
      // Unreachable (status 0): the same answer as offline, never a retry behind the user's back.
      this.error =
        error instanceof ApiError && error.status === 0
          ? `Cannot reach the server. ${later}`
          : getErrorMessage(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async choose(roomId: RoomId): Promise<boolean> {
    const previous = this.#chose;
    this.#chose = roomId;
    const ok = await this.#intent('Choosing a room', () => api.chooseRoom(this.#conversationId, roomId));
    if (ok) {
      this.#markJoined();
      this.notice = null;
    } else this.#chose = previous;
    return ok;
  }

  requestHelp(): Promise<boolean> {
    return this.#intent('Asking for help', () => api.requestHelp(this.#conversationId));
  }

  withdrawHelp(): Promise<boolean> {
    return this.#intent('Withdrawing a help request', () => api.withdrawHelp(this.#conversationId));
  }

  async returnToMain(): Promise<boolean> {
    const ok = await this.#intent('Going back to the main room', () =>
      api.returnToMain(this.#conversationId)
    );
    // "You are in <room>" is no longer true.
    if (ok) this.notice = null;
    return ok;
  }

  async rejoin(): Promise<boolean> {
    const ok = await this.#intent('Returning to your room', () => api.rejoinRoom(this.#conversationId));
    if (ok) {
      this.#markJoined();
      this.notice = null;
    }
    return ok;
  }

  destroy(): void {
    for (const off of this.#cleanups) off();
    this.#cleanups = [];
  }
}
