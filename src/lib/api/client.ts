import type { Pathname } from '$app/types';
import type {
  AssignableRole,
  Conversation,
  ConversationDetails,
  ConversationSummary,
  CreatedInvite,
  GuestJoinResult,
  InviteInfo,
  JoinResult,
  Member,
  User
} from './types';

/**
 * A failed REST call. `status` is the HTTP status, or 0 when the server could not be reached at all
 * (offline, server down): callers decide from it whether retrying can help.
 */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  /** 4xx answers are the server's final word on that request; retrying the same request cannot help. */
  get isFinal(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export const UNREACHABLE_MESSAGE = 'Cannot reach the server. Check your connection and try again.';

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** The sentence to show for any error thrown by a call below. */
export function getErrorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Try again.';
}

type Fetch = typeof fetch;

/**
 * One JSON request. Cookies carry the identity (API.md), so every call is same-origin with credentials;
 * the server's `{ error }` sentence becomes the ApiError message so forms can show it as is.
 */
export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  fetchImpl: Fetch = fetch
): Promise<T> {
  let response: Response;
  try {
    response = await fetchImpl(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  } catch {
    throw new ApiError(0, UNREACHABLE_MESSAGE);
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      payload && typeof payload === 'object' && typeof (payload as { error?: unknown }).error === 'string'
        ? (payload as { error: string }).error
        : response.status >= 500
          ? 'The server had a problem. Try again in a moment.'
          : `The request failed (${response.status}).`;
    throw new ApiError(response.status, message);
  }
  return payload as T;
}

const enc = encodeURIComponent;

export const api = {
  async signUp(input: { username: string; password: string; displayName?: string }): Promise<User> {
    return (await request<{ user: User }>('POST', '/api/auth/signup', input)).user;
  },
  async signIn(input: { username: string; password: string }): Promise<User> {
    return (await request<{ user: User }>('POST', '/api/auth/signin', input)).user;
  },
  async signOut(): Promise<void> {
    await request<void>('POST', '/api/auth/signout');
  },
  /**
   * The caller, or `null` when signed out (401). When the server cannot be reached, the last known user
   * is returned so the app still opens from its IndexedDB copies (local-first).
   */
  async getMe(): Promise<User | null> {
    try {
      const user = (await request<{ user: User }>('GET', '/api/me')).user;
      rememberUser(user);
      return user;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        rememberUser(null);
        return null;
      }
      const remembered = error instanceof ApiError && error.status === 0 ? getRememberedUser() : null;
      if (remembered) {
        // Offline the remembered user stands for the signed-in one, as for the rest of the app (R90).
        confirmUser(remembered);
        return remembered;
      }
      throw error;
    }
  },
  async listConversations(): Promise<ConversationSummary[]> {
    return (await request<{ conversations: ConversationSummary[] }>('GET', '/api/conversations'))
      .conversations;
  },
  async createConversation(input: { title: string }): Promise<Conversation> {
    return (await request<{ conversation: Conversation }>('POST', '/api/conversations', input)).conversation;
  },
  async getConversation(id: string): Promise<ConversationDetails> {
    return request<ConversationDetails>('GET', `/api/conversations/${enc(id)}`);
  },
  async createInvite(conversationId: string): Promise<CreatedInvite> {
    return request<CreatedInvite>('POST', `/api/conversations/${enc(conversationId)}/invites`);
  },
  async getInvite(token: string): Promise<InviteInfo> {
    return request<InviteInfo>('GET', `/api/invites/${enc(token)}`);
  },
  async joinInvite(token: string): Promise<JoinResult> {
    return request<JoinResult>('POST', `/api/invites/${enc(token)}/join`);
  },
  async joinAsGuest(token: string, input: { displayName: string }): Promise<GuestJoinResult> {
    return request<GuestJoinResult>('POST', `/api/invites/${enc(token)}/guest`, input);
  },
  async setRole(input: { conversationId: string; userId: string; role: AssignableRole }): Promise<Member> {
    const path = `/api/conversations/${enc(input.conversationId)}/members/${enc(input.userId)}/role`;
    return (await request<{ member: Member }>('PUT', path, { role: input.role })).member;
  },
  /**
   * "Delete breakout rooms" (moderators, SPEC R50): the server clears the setup and the rooms' chats as the
   * trusted writer; the main conversation and its history stay.
   */
  async deleteBreakout(conversationId: string): Promise<void> {
    await request<unknown>('DELETE', `/api/conversations/${enc(conversationId)}/breakout`);
  },
  /**
   * Participants' session intents (SPEC R77): the server checks them (membership, session running, mode,
   * room, capacity) and writes the result into the control document; a refusal is its sentence.
   */
  async chooseRoom(conversationId: string, roomId: string): Promise<void> {
    await request<unknown>('POST', `/api/conversations/${enc(conversationId)}/breakout/choose`, { roomId });
  },
  async requestHelp(conversationId: string): Promise<void> {
    await request<unknown>('POST', `/api/conversations/${enc(conversationId)}/breakout/help`);
  },
  async withdrawHelp(conversationId: string): Promise<void> {
    await request<unknown>('DELETE', `/api/conversations/${enc(conversationId)}/breakout/help`);
  },
  /** "Back to main room" (allowed only when the moderator chose so, R75). */
  async returnToMain(conversationId: string): Promise<void> {
    await request<unknown>('POST', `/api/conversations/${enc(conversationId)}/breakout/return`);
  },
  /** "Return to <room>" after going back to the main room. */
  async rejoinRoom(conversationId: string): Promise<void> {
    await request<unknown>('POST', `/api/conversations/${enc(conversationId)}/breakout/rejoin`);
  },
  /** The server's clock (ms), for `serverClock` (SPEC R71). */
  async time(): Promise<number> {
    return (await request<{ now: number }>('GET', '/api/time')).now;
  },
  /** "Broadcast message" (moderators, R79): one message into every room's chat. */
  async broadcast(conversationId: string, input: { id: string; text: string }): Promise<void> {
    await request<unknown>('POST', `/api/conversations/${enc(conversationId)}/breakout/broadcast`, input);
  }
};

/** Query keys in one place so mutations invalidate exactly what they change. */
export const queryKeys = {
  me: ['me'] as const,
  conversations: ['conversations'] as const,
  conversation: (id: string) => ['conversation', id] as const,
  invite: (token: string) => ['invite', token] as const
};

/**
 * `?next=` targets are followed only when they are paths on this origin, so a crafted link cannot send
 * someone elsewhere after signing in.
 */
export function getSafeNext(value: string | null | undefined): Pathname {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // Any same-origin path is fine here: a wrong one lands on the app's own "not found" page.
  return value as Pathname;
}

const LAST_USER_KEY = 'parley:lastUser';

/**
 * Who the server last said is signed in here (`null`: no one), or, the server being unreachable, the
 * remembered user standing in for them; `undefined` until this page has had an answer.
 */
let confirmedUserId: string | null | undefined;
const confirmationWaiters = new Set<{ userId: string; resolve: (confirmed: boolean) => void }>();

function confirmUser(user: User | null): void {
  confirmedUserId = user?.id ?? null;
  for (const waiter of [...confirmationWaiters]) {
    if (waiter.userId !== confirmedUserId) continue;
    confirmationWaiters.delete(waiter);
    waiter.resolve(true);
  }
}

/** Whether `userId` is the user the server (or, offline, the remembered user) last named. */
export function isUserConfirmed(userId: string): boolean {
  return confirmedUserId === userId;
}

/**
 * Resolves with `true` once `userId` is confirmed as the signed-in user (`getMe`, a sign-in, or offline the
 * remembered user): a page opened with the remembered user before the server answered waits for this
 * before it sends anything, so one user's copies never go out under another user's cookie (R90). Stays
 * pending while the answers name someone else; `signal` ends the wait with `false`.
 */
export function whenUserConfirmed(userId: string, signal?: AbortSignal): Promise<boolean> {
  if (isUserConfirmed(userId)) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const waiter = { userId, resolve };
    confirmationWaiters.add(waiter);
    signal?.addEventListener(
      'abort',
      () => {
        if (confirmationWaiters.delete(waiter)) resolve(false);
      },
      { once: true }
    );
  });
}

/**
 * Kept so an offline reload knows whose IndexedDB copies to open; cleared on sign-out. Called with the
 * server's answers only (`getMe`, sign-in, sign-up, guest join, sign-out), so it also confirms the user.
 */
export function rememberUser(user: User | null): void {
  confirmUser(user);
  if (typeof localStorage === 'undefined') return;
  try {
    if (user) {
      localStorage.setItem(LAST_USER_KEY, JSON.stringify(user));
      return;
    }
    // Signing out forgets what this browser showed of that user (SPEC R90).
    const previous = getRememberedUser();
    if (previous) forgetConversations(previous.id);
    localStorage.removeItem(LAST_USER_KEY);
  } catch {
    // Storage may be unavailable (private mode, quota); offline start is a convenience, not a must.
  }
}

export function getRememberedUser(): User | null {
  if (typeof localStorage === 'undefined') return null;
  try {
    const raw = localStorage.getItem(LAST_USER_KEY);
    return raw ? (JSON.parse(raw) as User) : null;
  } catch {
    return null;
  }
}

/** The list of conversations last seen by one user, for an offline start (SPEC R90). */
export interface RememberedConversations {
  conversations: ConversationSummary[];
  /** When the server sent it (ms). */
  savedAt: number;
}

/** Per user, so one user's list is never shown to another user of the same browser (SPEC R90). */
export function getConversationsKey(userId: string): string {
  return `parley:${userId}:conversations`;
}

function getStorage(storage?: Storage): Storage | null {
  if (storage) return storage;
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function rememberConversations(
  userId: string,
  conversations: ConversationSummary[],
  { now = Date.now(), storage }: { now?: number; storage?: Storage } = {}
): void {
  try {
    const value: RememberedConversations = { conversations, savedAt: now };
    getStorage(storage)?.setItem(getConversationsKey(userId), JSON.stringify(value));
  } catch {
    // Full or blocked storage: an offline start shows no list, as before the first visit.
  }
}

export function getRememberedConversations(
  userId: string,
  { storage }: { storage?: Storage } = {}
): RememberedConversations | null {
  try {
    const raw = getStorage(storage)?.getItem(getConversationsKey(userId));
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      !Array.isArray((parsed as RememberedConversations).conversations) ||
      typeof (parsed as RememberedConversations).savedAt !== 'number'
    ) {
      return null;
    }
    return parsed as RememberedConversations;
  } catch {
    return null;
  }
}

export function forgetConversations(userId: string, { storage }: { storage?: Storage } = {}): void {
  try {
    getStorage(storage)?.removeItem(getConversationsKey(userId));
  } catch {
    // Nothing stored, or storage gone.
  }
}

/** What the list of conversations shows: the server's answer, or offline the list as last seen. */
export interface ConversationListResult {
  conversations: ConversationSummary[];
  /** Not the server's answer now: the list remembered from `savedAt`, the server being unreachable. */
  offline: boolean;
  savedAt: number | null;
}

/**
 * The signed-in user's conversations (`userId`: whom the page shows as signed in). Online the answer is
 * remembered for that user; when the server cannot be reached (status 0) the list last seen by that same
 * user is returned instead. An answer is remembered only while this browser's last signed-in user is
 * still `userId`: a stale tab of someone who has been signed out elsewhere since must not store the new
 * user's list under the old user's name.
 */
export async function listConversationsOrLastSeen(
  userId: string | null,
  {
    list = () => api.listConversations(),
    lastUserId = () => getRememberedUser()?.id ?? null,
    storage,
    now = Date.now()
  }: {
    list?: () => Promise<ConversationSummary[]>;
    /** This browser's last signed-in user (`rememberUser`). */
    lastUserId?: () => string | null;
    storage?: Storage;
    now?: number;
  } = {}
): Promise<ConversationListResult> {
  try {
    const conversations = await list();
    if (userId && lastUserId() === userId) rememberConversations(userId, conversations, { now, storage });
    return { conversations, offline: false, savedAt: null };
  } catch (error) {
    const remembered =
      userId && error instanceof ApiError && error.status === 0
        ? getRememberedConversations(userId, { storage })
        : null;
    if (!remembered) throw error;
    return { conversations: remembered.conversations, offline: true, savedAt: remembered.savedAt };
  }
}
