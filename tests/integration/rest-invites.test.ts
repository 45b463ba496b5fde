import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createConversation,
  createInvite,
  joinAsAccount,
  joinAsGuest,
  setRole,
  signUp,
  type Actor,
  type ConversationJson
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';

const DAY = 24 * 60 * 60 * 1000;

describe('REST: conversations and invites', () => {
  let server: TestServer;
  let clockOffset = 0;
  let alice: Actor;
  let bob: Actor;
  let carol: Actor;
  let conversation: ConversationJson;

  beforeAll(async () => {
    server = await startTestServer({ now: () => Date.now() + clockOffset });
    alice = await signUp(server.url, 'alice');
    bob = await signUp(server.url, 'bob');
    carol = await signUp(server.url, 'carol');
    conversation = await createConversation(server.url, alice.cookie, '  Team   offsite ');
  });
  afterAll(async () => {
    await server.cleanup();
  });

  async function roleOf(userId: string): Promise<string | undefined> {
    const detail = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: alice.cookie });
    return detail.body.members.find((m: { userId: string }) => m.userId === userId)?.role;
  }

  it('R2: the creator is the owner; the conversation is listed with role and member count', async () => {
    expect(conversation).toMatchObject({ title: 'Team offsite', ownerId: alice.user.id });
    const list = await api(server.url, '/api/conversations', { cookie: alice.cookie });
    expect(list.status).toBe(200);
    expect(list.body.conversations).toEqual([{ ...conversation, role: 'owner', memberCount: 1 }]);
    const detail = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: alice.cookie });
    expect(detail.status).toBe(200);
    expect(detail.body.me).toEqual({ userId: alice.user.id, role: 'owner' });
    expect(detail.body.members).toEqual([
      expect.objectContaining({ userId: alice.user.id, role: 'owner', username: 'alice', kind: 'account' })
    ]);
  });

  it('R13: a conversation answers 404 when unknown and 403 to a non-member', async () => {
    const unknown = await api(server.url, '/api/conversations/does-not-exist-0', { cookie: alice.cookie });
    expect(unknown.status).toBe(404);
    const stranger = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: carol.cookie });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error).toMatch(/not a member/);
    expect((await api(server.url, '/api/conversations')).status).toBe(401);
  });

  it('R6: an invite has a 43-character token, a link on the request origin and a 7-day expiry', async () => {
    const before = Date.now();
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    expect(invite.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(invite.url).toBe(`${server.url}/invite/${invite.token}`);
    expect(invite.expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(invite.expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    const info = await api(server.url, `/api/invites/${invite.token}`);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      conversation: { id: conversation.id, title: 'Team offsite' },
      expiresAt: invite.expiresAt
    });
  });

  it('R6: the server stores only a hash of the invite token', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    expect(await server.persistence.getInvite(invite.token)).toBeNull();
  });

  it('R6: only moderators create invite links (participant 403, non-member 403, anonymous 401)', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    await joinAsAccount(server.url, bob.cookie, invite.token);
    const path = `/api/conversations/${conversation.id}/invites`;
    const participant = await api(server.url, path, { method: 'POST', cookie: bob.cookie });
    expect(participant.status).toBe(403);
    expect(participant.body.error).toMatch(/owners and moderators/);
    expect((await api(server.url, path, { method: 'POST', cookie: carol.cookie })).status).toBe(403);
    expect((await api(server.url, path, { method: 'POST' })).status).toBe(401);
    await setRole(server.url, alice.cookie, {
      conversationId: conversation.id,
      userId: bob.user.id,
      role: 'moderator'
    });
    await createInvite(server.url, bob.cookie, conversation.id);
    await setRole(server.url, alice.cookie, {
      conversationId: conversation.id,
      userId: bob.user.id,
      role: 'participant'
    });
  });

  it('R3: an account joining through an invite becomes a participant; joining twice changes nothing', async () => {
    const dave = await signUp(server.url, 'dave');
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    expect(await joinAsAccount(server.url, dave.cookie, invite.token)).toEqual({
      conversationId: conversation.id,
      role: 'participant'
    });
    await setRole(server.url, alice.cookie, {
      conversationId: conversation.id,
      userId: dave.user.id,
      role: 'moderator'
    });
    const again = await joinAsAccount(server.url, dave.cookie, invite.token);
    expect(again.role).toBe('moderator');
    expect(await roleOf(dave.user.id)).toBe('moderator');
    // The owner joining their own conversation stays owner.
    expect((await joinAsAccount(server.url, alice.cookie, invite.token)).role).toBe('owner');
  });

  it('R3: joining without any cookie answers 401 with what to do', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const answer = await api(server.url, `/api/invites/${invite.token}/join`, { method: 'POST' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatch(/Sign in/);
  });

  it('R3, R7: a guest joins with a display name, gets a guest cookie and the guest role', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const answer = await api(server.url, `/api/invites/${invite.token}/guest`, {
      method: 'POST',
      body: { displayName: '  Erin  ' }
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ conversationId: conversation.id, role: 'guest' });
    expect(answer.body.user).toMatchObject({ displayName: 'Erin', kind: 'guest', username: null });
    const cookie = answer.setCookie.find((c) => c.startsWith('parley_guest='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(answer.setCookie.some((c) => c.startsWith('parley_session='))).toBe(false);
    const me = await api(server.url, '/api/me', { cookie: `parley_guest=${answer.cookies.parley_guest}` });
    expect(me.body.user).toEqual(answer.body.user);
    expect(await roleOf(answer.body.user.id)).toBe('guest');
  });

  it('R7: a guest coming back with its cookie keeps the same identity, in this and another conversation', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const first = await joinAsGuest(server.url, invite.token, 'Frank');
    const again = await joinAsGuest(server.url, invite.token, 'Frank again', { cookie: first.cookie });
    expect(again.user.id).toBe(first.user.id);
    expect(again.cookie).toBe(first.cookie);
    expect(again.role).toBe('guest');

    const other = await createConversation(server.url, bob.cookie, 'Second');
    const otherInvite = await createInvite(server.url, bob.cookie, other.id);
    const elsewhere = await joinAsGuest(server.url, otherInvite.token, 'Frank', { cookie: first.cookie });
    expect(elsewhere.user.id).toBe(first.user.id);
    const list = await api(server.url, '/api/conversations', { cookie: first.cookie });
    expect(list.body.conversations.map((c: { id: string }) => c.id).sort()).toEqual(
      [conversation.id, other.id].sort()
    );
    // The same guest joined twice: still one membership each.
    const detail = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: first.cookie });
    expect(detail.body.members.filter((m: { userId: string }) => m.userId === first.user.id)).toHaveLength(1);
  });

  it('R7: an existing guest may also use /join', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const guest = await joinAsGuest(server.url, invite.token, 'Gus');
    const other = await createConversation(server.url, alice.cookie, 'Third');
    const otherInvite = await createInvite(server.url, alice.cookie, other.id);
    expect(await joinAsAccount(server.url, guest.cookie, otherInvite.token)).toEqual({
      conversationId: other.id,
      role: 'guest'
    });
  });

  it('R3: a signed-in account asking to join as a guest gets 409 and no guest is made', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const answer = await api(server.url, `/api/invites/${invite.token}/guest`, {
      method: 'POST',
      cookie: carol.cookie,
      body: { displayName: 'Carol in disguise' }
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ error: 'You are signed in; join with your account.' });
    expect(answer.setCookie).toEqual([]);
    const stranger = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: carol.cookie });
    expect(stranger.status).toBe(403);
  });

  it('R6: a forged or unknown invite token answers 404 on every invite endpoint', async () => {
    const real = await createInvite(server.url, alice.cookie, conversation.id);
    const forged = [
      'A'.repeat(43),
      `${real.token.slice(0, 42)}${real.token.at(-1) === 'A' ? 'B' : 'A'}`,
      'short',
      real.token + 'x'
    ];
    for (const token of forged) {
      const info = await api(server.url, `/api/invites/${token}`);
      expect(info.status, token).toBe(404);
      expect(info.body.error).toBe(
        'This invite link is not valid. Check that you copied the whole link, or ask for a new one.'
      );
      const join = await api(server.url, `/api/invites/${token}/join`, {
        method: 'POST',
        cookie: carol.cookie
      });
      expect(join.status).toBe(404);
      const guest = await api(server.url, `/api/invites/${token}/guest`, {
        method: 'POST',
        body: { displayName: 'X' }
      });
      expect(guest.status).toBe(404);
      expect(guest.setCookie).toEqual([]);
    }
    expect(
      (await api(server.url, `/api/conversations/${conversation.id}`, { cookie: carol.cookie })).status
    ).toBe(403);
  });

  it('R6: an invite is valid for 7 days; after that it answers 410 with what to do', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    clockOffset = 7 * DAY - 60_000;
    try {
      expect((await api(server.url, `/api/invites/${invite.token}`)).status).toBe(200);
      clockOffset = 7 * DAY + 1;
      const expired = 'This invite link has expired. Ask the person who invited you for a new one.';
      const info = await api(server.url, `/api/invites/${invite.token}`);
      expect(info.status).toBe(410);
      expect(info.body).toEqual({ error: expired });
      // Accounts sessions are 30 days, so carol is still signed in at +7 days.
      const join = await api(server.url, `/api/invites/${invite.token}/join`, {
        method: 'POST',
        cookie: carol.cookie
      });
      expect(join.status).toBe(410);
      expect(join.body).toEqual({ error: expired });
      const guest = await api(server.url, `/api/invites/${invite.token}/guest`, {
        method: 'POST',
        body: { displayName: 'Late Larry' }
      });
      expect(guest.status).toBe(410);
      expect(guest.setCookie).toEqual([]);
    } finally {
      clockOffset = 0;
    }
    expect(
      (await api(server.url, `/api/conversations/${conversation.id}`, { cookie: carol.cookie })).status
    ).toBe(403);
  });

  it('R30: a guest cannot create a conversation (no account to own it)', async () => {
    const invite = await createInvite(server.url, alice.cookie, conversation.id);
    const guest = await joinAsGuest(server.url, invite.token, 'Hana');
    const answer = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: guest.cookie,
      body: { title: 'Mine' }
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatch(/Sign up/);
  });
});

describe('REST: invite links with PUBLIC_URL', () => {
  it('R6: the invite url starts with the configured public url', async () => {
    const server = await startTestServer({ publicUrl: 'https://parley.example.org' });
    try {
      const alice = await signUp(server.url, 'alice');
      const conversation = await createConversation(server.url, alice.cookie, 'Public');
      const invite = await createInvite(server.url, alice.cookie, conversation.id);
      expect(invite.url).toBe(`https://parley.example.org/invite/${invite.token}`);
    } finally {
      await server.cleanup();
    }
  });
});
