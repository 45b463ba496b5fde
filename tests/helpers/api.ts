/**
 * Small fetch wrappers around the REST API (docs/API.md) for integration tests. Each "user" is a cookie
 * string (`parley_session=…` or `parley_guest=…`) that the caller keeps and passes back, like a browser
 * context would.
 */
import type { ChatMessage, Conversation, Member, User } from '../../server/persistence/types';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** `name=value` pairs of the Set-Cookie headers, without attributes. */
  cookies: Record<string, string>;
  /** The raw Set-Cookie headers, attributes included. */
  setCookie: string[];
}

export interface ApiRequest {
  method?: string;
  /** Serialised as JSON unless it already is a string. */
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
}

/** One REST call; never throws for an HTTP status, so bad-input tests can look at every answer. */
// Tests read ad-hoc answers (error bodies, partial shapes) loosely; typed callers pass T.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function api<T = any>(
  baseUrl: string,
  path: string,
  request: ApiRequest = {}
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.cookie) headers.cookie = request.cookie;
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(path, baseUrl), { method: request.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const setCookie = res.headers.getSetCookie();
  const cookies: Record<string, string> = {};
  for (const line of setCookie) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    cookies[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { status: res.status, body: parsed as T, headers: res.headers, cookies, setCookie };
}

/** Throws with the server's own error sentence when the status is not the expected one. */
function expectStatus<T>(answer: ApiAnswer<T>, expected: number | number[], what: string): T {
  const ok = Array.isArray(expected) ? expected.includes(answer.status) : answer.status === expected;
  if (!ok) {
    throw new Error(
      `${what}: expected HTTP ${String(expected)}, got ${answer.status} ${JSON.stringify(answer.body)}`
    );
  }
  return answer.body;
}

export type UserJson = Omit<User, 'id'> & { id: string };

export interface Actor {
  /** Pass as `cookie` to later calls. */
  cookie: string;
  user: UserJson;
}

/** The password every test account gets, so tests can sign in again. */
export const passwordFor = (username: string) => `${username}-secret-password`;

export async function signUp(
  baseUrl: string,
  username: string,
  options: { password?: string; displayName?: string } = {}
): Promise<Actor> {
  const answer = await api<{ user: UserJson }>(baseUrl, '/api/auth/signup', {
    method: 'POST',
    body: { username, password: options.password ?? passwordFor(username), displayName: options.displayName }
  });
  const body = expectStatus(answer, 201, `sign up ${username}`);
  return { cookie: `parley_session=${answer.cookies.parley_session}`, user: body.user };
}

export async function signIn(
  baseUrl: string,
  username: string,
  options: { password?: string } = {}
): Promise<Actor> {
  const answer = await api<{ user: UserJson }>(baseUrl, '/api/auth/signin', {
    method: 'POST',
    body: { username, password: options.password ?? passwordFor(username) }
  });
  const body = expectStatus(answer, 200, `sign in ${username}`);
  return { cookie: `parley_session=${answer.cookies.parley_session}`, user: body.user };
}

export type ConversationJson = Omit<Conversation, 'id' | 'ownerId'> & { id: string; ownerId: string };

export async function createConversation(
  baseUrl: string,
  cookie: string,
  title: string
): Promise<ConversationJson> {
  const answer = await api<{ conversation: ConversationJson }>(baseUrl, '/api/conversations', {
    method: 'POST',
    cookie,
    body: { title }
  });
  return expectStatus(answer, 201, `create conversation “${title}”`).conversation;
}

export interface InviteJson {
  token: string;
  url: string;
  expiresAt: number;
}

export async function createInvite(
  baseUrl: string,
  cookie: string,
  conversationId: string
): Promise<InviteJson> {
  const answer = await api<InviteJson>(baseUrl, `/api/conversations/${conversationId}/invites`, {
    method: 'POST',
    cookie
  });
  return expectStatus(answer, 201, 'create invite');
}

export async function joinAsAccount(
  baseUrl: string,
  cookie: string,
  token: string
): Promise<{ conversationId: string; role: string }> {
  const answer = await api<{ conversationId: string; role: string }>(baseUrl, `/api/invites/${token}/join`, {
    method: 'POST',
    cookie
  });
  return expectStatus(answer, 200, 'join with account');
}

/** Joins as a guest; pass `cookie` (an earlier guest's) to join again with the same guest identity. */
export async function joinAsGuest(
  baseUrl: string,
  token: string,
  displayName: string,
  options: { cookie?: string } = {}
): Promise<Actor & { conversationId: string; role: string }> {
  const answer = await api<{ conversationId: string; role: string; user: UserJson }>(
    baseUrl,
    `/api/invites/${token}/guest`,
    { method: 'POST', cookie: options.cookie, body: { displayName } }
  );
  const body = expectStatus(answer, 200, `join as guest ${displayName}`);
  const guest = answer.cookies.parley_guest;
  return {
    cookie: guest ? `parley_guest=${guest}` : (options.cookie ?? ''),
    user: body.user,
    conversationId: body.conversationId,
    role: body.role
  };
}

export type MemberJson = Omit<Member, 'conversationId' | 'userId'> & {
  conversationId: string;
  userId: string;
};

export async function setRole(
  baseUrl: string,
  cookie: string,
  options: { conversationId: string; userId: string; role: 'moderator' | 'participant' }
): Promise<MemberJson> {
  const answer = await api<{ member: MemberJson }>(
    baseUrl,
    `/api/conversations/${options.conversationId}/members/${options.userId}/role`,
    { method: 'PUT', cookie, body: { role: options.role } }
  );
  return expectStatus(answer, 200, `set role ${options.role}`).member;
}

export type MessageJson = Omit<ChatMessage, 'id' | 'conversationId' | 'authorId'> & {
  id: string;
  conversationId: string;
  authorId: string;
};

/** A fresh client-side message id (SPEC R22). */
export const newMessageId = () => `m_${crypto.randomUUID().replaceAll('-', '')}`;

export async function postMessage(
  baseUrl: string,
  cookie: string,
  options: { conversationId: string; text: string; id?: string }
): Promise<MessageJson> {
  const answer = await api<{ message: MessageJson }>(
    baseUrl,
    `/api/conversations/${options.conversationId}/messages`,
    {
      method: 'POST',
      cookie,
      body: { id: options.id ?? newMessageId(), text: options.text }
    }
  );
  return expectStatus(answer, [200, 201], 'post message').message;
}

export async function listMessages(
  baseUrl: string,
  cookie: string,
  conversationId: string
): Promise<MessageJson[]> {
  const answer = await api<{ messages: MessageJson[] }>(
    baseUrl,
    `/api/conversations/${conversationId}/messages`,
    {
      cookie
    }
  );
  return expectStatus(answer, 200, 'list messages').messages;
}

/** Polls `condition` until it holds (no fixed sleeps in tests). */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}
