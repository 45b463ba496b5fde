import type * as Y from 'yjs';
import { api, getErrorMessage } from '../api/client';
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

export type SessionNoticeKind = 'started' | 'moved' | 'removed' | 'closing' | 'ended';

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
interface Snapshot {
  runId: string | null;
  roomId: RoomId | null;
  /** The closing countdown is on (R72). */
  closing?: boolean;
}

/**
 * The notice for a change of where this participant is (R74–R76), or `null` when nothing worth saying
 * happened. `chose` is the room this user picked themselves (choose mode): no "moderator moved you" then.
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
  if (
    after.runId !== null &&
    after.closing &&
    (!before.closing || before.runId !== after.runId) &&
    after.roomId !== null
  ) {
    return {
      kind: 'closing',
      text: 'Breakout sessions are ending. You will be back in the main room when the countdown ends.'
    };
  }
  if (before.runId !== after.runId) {
    if (after.runId !== null) {
      if (after.roomId === null) {
        return choosing ? { kind: 'started', text: 'Breakout sessions have started. Choose a room.' } : null;
      }
      return {
        kind: 'started',
        text: moveAutomatically
          ? `Breakout sessions have started. You are in ${roomName(after.roomId)}.`
          : `Breakout sessions have started. Join ${roomName(after.roomId)} when you are ready.`
      };
    }
    return before.roomId === null
      ? null
      : { kind: 'ended', text: 'Breakout sessions have ended. You are back in the main room.' };
  }
  if (after.runId === null) return null;
  if (before.roomId === after.roomId) return null;
  if (after.roomId === null) {
    return before.roomId !== null && !roomExists(before.roomId)
      ? { kind: 'removed', text: 'Your room was removed. You are back in the main room.' }
      : { kind: 'moved', text: 'A moderator moved you back to the main room.' };
  }
  if (chose === after.roomId) return null;
  return { kind: 'moved', text: `A moderator moved you to ${roomName(after.roomId)}.` };
}

/**
 * A breakout session as this user lives it (SPEC R70–R81), live from the control document: the phase
 * (derived from stored moments and a clock that ticks once a second, so countdowns move and a timer
 * ends with nobody online), where this user is, the help requests, and notices when their place changes.
 * Moderators' commands write the control document; participants' actions are intents to the server.
 */
export class SessionState {
  #session = $state<SessionRecord | null>(null);
  #help = $state<HelpRequest[]>([]);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole on every read, never mutated
  #returned = $state<ReadonlySet<UserId>>(new Set());
  #now = $state(Date.now());
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
  readonly helpRequests: HelpRequest[] = $derived(this.active ? this.#help : []);
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
    isModerator
  }: {
    doc: Y.Doc;
    userId: string;
    conversationId: string;
    breakout: BreakoutSetupState;
    isModerator: () => boolean;
  }) {
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
    this.#cleanups.push(observeControl(doc, read));
    const timer = setInterval(() => (this.#now = Date.now()), 1000);
    this.#cleanups.push(() => clearInterval(timer));
    // Notices follow the derived place, which also depends on the member list; an effect sees both.
    this.#cleanups.push(
      $effect.root(() => {
        $effect(() => this.#track());
      })
    );
  }

  /** For tests: the clock the phase is derived from. */
  setNow(now: number): void {
    this.#now = now;
  }

  #track(): void {
    // Until the member list has this user, the tidy view has no room for anyone: nothing to compare.
    const known = this.#breakout.members.some((m) => m.userId === this.#userId);
    if (!known || this.#isModerator()) {
      if (this.#isModerator()) this.#last = null;
      if (!this.active) this.visiting = null;
      return;
    }
    const now: Snapshot = {
      runId: this.active ? (this.#session?.runId ?? null) : null,
      roomId: this.assignedRoomId,
      closing: this.closing
    };
    const before = this.#last ?? { runId: null, roomId: null };
    this.#last = now;
    if (before.runId === now.runId && before.roomId === now.roomId && before.closing === now.closing) return;
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
    // A move switches the view at once (R75), also when people otherwise join from the notice.
    if (notice?.kind === 'moved' && now.runId !== null) this.#markJoined();
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
    const result = startSession(this.#doc, { ...options, now: Date.now(), actor: this.#userId });
    if (result.ok) this.#now = Date.now();
    return this.#report(result);
  }

  end(closingSeconds: ClosingSeconds): Checked<SessionRecord> {
    const result = endSession(this.#doc, { closingSeconds, now: Date.now(), actor: this.#userId });
    if (result.ok) this.#now = Date.now();
    return this.#report(result);
  }

  extend(minutes: number): Checked<SessionRecord> {
    return this.#report(extendTimer(this.#doc, { minutes, now: Date.now(), actor: this.#userId }));
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

  async #intent(send: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await send();
      return true;
    } catch (error) {
      this.error = getErrorMessage(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async choose(roomId: RoomId): Promise<boolean> {
    const previous = this.#chose;
    this.#chose = roomId;
    const ok = await this.#intent(() => api.chooseRoom(this.#conversationId, roomId));
    if (ok) {
      this.#markJoined();
      this.notice = null;
    } else this.#chose = previous;
    return ok;
  }

  requestHelp(): Promise<boolean> {
    return this.#intent(() => api.requestHelp(this.#conversationId));
  }

  withdrawHelp(): Promise<boolean> {
    return this.#intent(() => api.withdrawHelp(this.#conversationId));
  }

  async returnToMain(): Promise<boolean> {
    const ok = await this.#intent(() => api.returnToMain(this.#conversationId));
    // "You are in <room>" is no longer true.
    if (ok) this.notice = null;
    return ok;
  }

  async rejoin(): Promise<boolean> {
    const ok = await this.#intent(() => api.rejoinRoom(this.#conversationId));
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
