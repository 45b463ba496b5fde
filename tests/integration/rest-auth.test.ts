import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createConversation,
  createInvite,
  joinAsGuest,
  passwordFor,
  signIn,
  signUp
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { hashToken } from '../../server/auth/tokens';

const DAY = 24 * 60 * 60 * 1000;

describe('REST: accounts and sessions', () => {
  let server: TestServer;
  // Tests move this clock forward to reach expiry dates without waiting.
  let clockOffset = 0;

  beforeAll(async () => {
    server = await startTestServer({ now: () => Date.now() + clockOffset });
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('R8: sign up answers 201 with the user and sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const answer = await api(server.url, '/api/auth/signup', {
      method: 'POST',
      body: { username: 'Alice', password: passwordFor('alice'), displayName: '  Alice   Liddell ' }
    });
    expect(answer.status).toBe(201);
    expect(answer.body.user).toMatchObject({
      username: 'alice',
      displayName: 'Alice Liddell',
      kind: 'account'
    });
    expect(answer.body.user).not.toHaveProperty('passwordHash');
    const cookie = answer.setCookie.find((c) => c.startsWith('parley_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=2592000/);
    // Plain http: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/Secure/);
    expect(answer.cookies.parley_session).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('R9: the session cookie is Secure when the request came over https (behind a proxy)', async () => {
    const answer = await api(server.url, '/api/auth/signup', {
      method: 'POST',
      body: { username: 'secure-sam', password: passwordFor('secure-sam') },
      headers: { 'x-forwarded-proto': 'https' }
    });
    expect(answer.status).toBe(201);
    expect(answer.setCookie[0]).toMatch(/; Secure/);
  });

  it('R8: display name defaults to the username', async () => {
    const bob = await signUp(server.url, 'bob');
    expect(bob.user.displayName).toBe('bob');
  });

  it('R8: a taken username (in any letter case) is refused with 409 and the first account is untouched', async () => {
    const carol = await signUp(server.url, 'carol');
    const again = await api(server.url, '/api/auth/signup', {
      method: 'POST',
      body: { username: 'CAROL', password: 'another-password' }
    });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'The username “carol” is taken. Choose another one.' });
    expect(again.setCookie).toEqual([]);
    const back = await signIn(server.url, 'carol');
    expect(back.user.id).toBe(carol.user.id);
  });

  it('R9: GET /api/me answers the signed-in user, and 401 without a cookie', async () => {
    const dave = await signUp(server.url, 'dave');
    const me = await api(server.url, '/api/me', { cookie: dave.cookie });
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual(dave.user);
    const anonymous = await api(server.url, '/api/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: 'Not signed in.' });
  });

  it('R9: a forged or garbled session cookie is not signed in', async () => {
    for (const cookie of [
      'parley_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'parley_session=%%%',
      'parley_session='
    ]) {
      const me = await api(server.url, '/api/me', { cookie });
      expect(me.status, cookie).toBe(401);
    }
  });

  it('R8: sign in with username in any case answers 200 and a new session', async () => {
    const first = await signUp(server.url, 'erin');
    const again = await signIn(server.url, 'ERIN', { password: passwordFor('erin') });
    expect(again.user.id).toBe(first.user.id);
    expect(again.cookie).not.toBe(first.cookie);
    expect((await api(server.url, '/api/me', { cookie: first.cookie })).status).toBe(200);
    expect((await api(server.url, '/api/me', { cookie: again.cookie })).status).toBe(200);
  });

  it('R8: a wrong password and an unknown user get the same 401 answer', async () => {
    await signUp(server.url, 'frank');
    const wrong = await api(server.url, '/api/auth/signin', {
      method: 'POST',
      body: { username: 'frank', password: 'not-the-password' }
    });
    const unknown = await api(server.url, '/api/auth/signin', {
      method: 'POST',
      body: { username: 'nobody-here', password: 'not-the-password' }
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'Wrong username or password.' });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.setCookie).toEqual([]);
    expect(unknown.setCookie).toEqual([]);
    // The account still works with its real password.
    await signIn(server.url, 'frank');
  });

  it('R9: sign out answers 204, clears the cookie and deletes the session', async () => {
    const gina = await signUp(server.url, 'gina');
    const out = await api(server.url, '/api/auth/signout', { method: 'POST', cookie: gina.cookie });
    expect(out.status).toBe(204);
    const cleared = out.setCookie.find((c) => c.startsWith('parley_session='))!;
    expect(cleared).toMatch(/^parley_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
    // The old token is dead even if a client keeps sending it.
    expect((await api(server.url, '/api/me', { cookie: gina.cookie })).status).toBe(401);
    // Signing out twice, or without a session, is harmless.
    expect((await api(server.url, '/api/auth/signout', { method: 'POST', cookie: gina.cookie })).status).toBe(
      204
    );
    expect((await api(server.url, '/api/auth/signout', { method: 'POST' })).status).toBe(204);
  });

  it('R9: sign out clears both cookies; an account’s sign-out keeps the guest session, a guest’s ends it', async () => {
    const lena = await signUp(server.url, 'lena');
    const { token } = await createInvite(
      server.url,
      lena.cookie,
      (await createConversation(server.url, lena.cookie, 'Both')).id
    );
    const guest = await joinAsGuest(server.url, token, 'Visitor');
    const out = await api(server.url, '/api/auth/signout', {
      method: 'POST',
      cookie: `${lena.cookie}; ${guest.cookie}`
    });
    expect(out.status).toBe(204);
    for (const name of ['parley_session', 'parley_guest']) {
      expect(out.setCookie.find((c) => c.startsWith(`${name}=`))).toMatch(/^[a-z_]+=;.*Max-Age=0/);
    }
    expect((await api(server.url, '/api/me', { cookie: lena.cookie })).status).toBe(401);
    expect((await api(server.url, '/api/me', { cookie: guest.cookie })).status).toBe(200);

    const guestOut = await api(server.url, '/api/auth/signout', { method: 'POST', cookie: guest.cookie });
    expect(guestOut.status).toBe(204);
    expect(guestOut.setCookie.map((c) => c.split('=')[0]).sort()).toEqual(['parley_guest', 'parley_session']);
    expect((await api(server.url, '/api/me', { cookie: guest.cookie })).status).toBe(401);
  });

  it('R62: expired sessions and invites are purged when the server starts', async () => {
    const mona = await signUp(server.url, 'mona');
    const conversation = await createConversation(server.url, mona.cookie, 'Purge');
    const invite = await createInvite(server.url, mona.cookie, conversation.id);
    const sessionHash = hashToken(mona.cookie.split('=')[1]);
    clockOffset = 31 * DAY;
    try {
      await server.restart();
      expect(await server.persistence.getSession(sessionHash)).toBeNull();
      expect(await server.persistence.getInvite(hashToken(invite.token))).toBeNull();
    } finally {
      clockOffset = 0;
    }
  });

  it('R9: a session expires after 30 days', async () => {
    const hank = await signUp(server.url, 'hank');
    clockOffset = 29 * DAY;
    expect((await api(server.url, '/api/me', { cookie: hank.cookie })).status).toBe(200);
    clockOffset = 30 * DAY + 1000;
    try {
      expect((await api(server.url, '/api/me', { cookie: hank.cookie })).status).toBe(401);
    } finally {
      clockOffset = 0;
    }
    // Expired sessions are deleted, so turning the clock back does not revive it.
    expect((await api(server.url, '/api/me', { cookie: hank.cookie })).status).toBe(401);
  });

  it('R8: passwords are stored as scrypt hashes with a per-user salt, never in clear', async () => {
    await signUp(server.url, 'ivan', { password: 'same-password-1' });
    await signUp(server.url, 'judy', { password: 'same-password-1' });
    const ivan = await server.persistence.getUserSecretByUsername('ivan');
    const judy = await server.persistence.getUserSecretByUsername('judy');
    expect(ivan?.passwordHash).toBeTruthy();
    expect(ivan?.passwordHash).not.toContain('same-password-1');
    expect(ivan?.salt).not.toBe(judy?.salt);
    expect(ivan?.passwordHash).not.toBe(judy?.passwordHash);
  });

  it('R9: only a hash of the session token is stored', async () => {
    const kim = await signUp(server.url, 'kim');
    const token = kim.cookie.split('=')[1];
    expect(await server.persistence.getSession(token)).toBeNull();
    expect(await server.persistence.getSession(hashToken(token))).toMatchObject({ userId: kim.user.id });
  });

  it('R7: with both cookies, the account session wins over the guest cookie', async () => {
    const owner = await signUp(server.url, 'leo');
    const conv = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: owner.cookie,
      body: { title: 'T' }
    });
    const invite = await api(server.url, `/api/conversations/${conv.body.conversation.id}/invites`, {
      method: 'POST',
      cookie: owner.cookie
    });
    const guest = await api(server.url, `/api/invites/${invite.body.token}/guest`, {
      method: 'POST',
      body: { displayName: 'Guest Mia' }
    });
    const both = `parley_guest=${guest.cookies.parley_guest}; ${owner.cookie}`;
    const me = await api(server.url, '/api/me', { cookie: both });
    expect(me.body.user.id).toBe(owner.user.id);
    const asGuest = await api(server.url, '/api/me', {
      cookie: `parley_guest=${guest.cookies.parley_guest}`
    });
    expect(asGuest.body.user).toMatchObject({ kind: 'guest', displayName: 'Guest Mia' });
  });

  it('R7: a guest token in the session cookie is not taken as an account session', async () => {
    const owner = await signUp(server.url, 'nina');
    const conv = await api(server.url, '/api/conversations', {
      method: 'POST',
      cookie: owner.cookie,
      body: { title: 'T' }
    });
    const invite = await api(server.url, `/api/conversations/${conv.body.conversation.id}/invites`, {
      method: 'POST',
      cookie: owner.cookie
    });
    const guest = await api(server.url, `/api/invites/${invite.body.token}/guest`, {
      method: 'POST',
      body: { displayName: 'Guest Otto' }
    });
    const swapped = await api(server.url, '/api/me', {
      cookie: `parley_session=${guest.cookies.parley_guest}`
    });
    expect(swapped.status).toBe(401);
  });
});

describe('REST: sign-in throttling', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.cleanup();
  });

  it('R63: too many attempts for one username answer 429 with Retry-After; other usernames carry on', async () => {
    server = await startTestServer({ authAttemptsPerMinute: { perAddress: 100, perUsername: 3 } });
    await signUp(server.url, 'nora');
    const attempt = (username: string, password = 'wrong-password-1') =>
      api(server.url, '/api/auth/signin', { method: 'POST', body: { username, password } });
    // Sign-up took one of nora's three attempts.
    expect((await attempt('nora')).status).toBe(401);
    expect((await attempt('NORA')).status).toBe(401);
    const refused = await attempt('nora', passwordFor('nora'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error).toMatch(/^Too many sign-in attempts\. Wait \d+ seconds and try again\.$/);
    expect((await attempt('otto')).status).toBe(401);
  });

  it('R63: too many attempts from one address answer 429, sign-ups included', async () => {
    server = await startTestServer({ authAttemptsPerMinute: { perAddress: 2, perUsername: 100 } });
    expect(
      (await api(server.url, '/api/auth/signin', { method: 'POST', body: { username: 'a1', password: 'x' } }))
        .status
    ).toBe(401);
    expect(
      (await api(server.url, '/api/auth/signin', { method: 'POST', body: { username: 'a2', password: 'x' } }))
        .status
    ).toBe(401);
    const signUpAnswer = await api(server.url, '/api/auth/signup', {
      method: 'POST',
      body: { username: 'a3a3', password: passwordFor('a3a3') }
    });
    expect(signUpAnswer.status).toBe(429);
    expect(signUpAnswer.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
