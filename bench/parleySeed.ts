/**
 * Sets up the Parley side of the benchmark through the public REST API (docs/API.md): alice (owner, so a
 * moderator who may write the control document) and N guests who joined through an invite link.
 */
const CONCURRENCY = 8;

export interface ParleySeed {
  conversationId: string;
  docName: string;
  writerCookie: string;
  /** The owner's user id (a moderator of the conversation). */
  writerUserId: string;
  guestCookies: string[];
  /** The guests' user ids, in the order of `guestCookies`: participants a moderator can assign. */
  guestUserIds: string[];
}

export async function call({
  origin,
  path,
  body,
  cookie
}: {
  origin: string;
  path: string;
  body?: unknown;
  cookie?: string;
}): Promise<{ json: Record<string, unknown>; cookies: string[] }> {
  const headers: Record<string, string> = { Origin: origin, 'Content-Type': 'application/json' };
  if (cookie) headers.Cookie = cookie;
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000)
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  const cookies = response.headers.getSetCookie().map((header) => header.split(';')[0]);
  return { json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, cookies };
}

function getCookie(cookies: string[], name: string): string {
  const cookie = cookies.find((c) => c.startsWith(`${name}=`));
  if (!cookie) throw new Error(`expected a ${name} cookie, got: ${cookies.join('; ') || 'none'}`);
  return cookie;
}

export async function seedParley({
  origin,
  guests,
  title = 'Fan-out bench'
}: {
  origin: string;
  guests: number;
  title?: string;
}): Promise<ParleySeed> {
  // Two seeds in one run (one per conversation) need two owners.
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const signup = await call({
    origin,
    path: '/api/auth/signup',
    body: { username: `alice-${suffix}`, displayName: 'Alice', password: 'bench password 1' }
  });
  const writerCookie = getCookie(signup.cookies, 'parley_session');

  const created = await call({
    origin,
    path: '/api/conversations',
    body: { title },
    cookie: writerCookie
  });
  const conversationId = (created.json.conversation as { id: string }).id;
  const invite = await call({
    origin,
    path: `/api/conversations/${conversationId}/invites`,
    cookie: writerCookie
  });
  const token = invite.json.token as string;

  const guestCookies: string[] = new Array<string>(guests);
  const guestUserIds: string[] = new Array<string>(guests);
  let next = 0;
  const joinNext = async (): Promise<void> => {
    while (next < guests) {
      const i = next++;
      const joined = await call({
        origin,
        path: `/api/invites/${encodeURIComponent(token)}/guest`,
        body: { displayName: `Guest ${i + 1}` }
      });
      guestCookies[i] = getCookie(joined.cookies, 'parley_guest');
      guestUserIds[i] = (joined.json.user as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, joinNext));

  return {
    conversationId,
    docName: `conversation/${conversationId}/control`,
    writerCookie,
    writerUserId: (signup.json.user as { id: string }).id,
    guestCookies,
    guestUserIds
  };
}
