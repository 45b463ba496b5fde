import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createConversation,
  createInvite,
  joinAsAccount,
  joinAsGuest,
  signUp,
  type Actor,
  type ConversationJson
} from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';

describe('REST: role changes', () => {
  let server: TestServer;
  let alice: Actor; // owner
  let bob: Actor;
  let carol: Actor;
  let dave: Actor;
  let guest: Actor;
  let outsider: Actor;
  let conversation: ConversationJson;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url, 'alice');
    bob = await signUp(server.url, 'bob');
    carol = await signUp(server.url, 'carol');
    dave = await signUp(server.url, 'dave');
    outsider = await signUp(server.url, 'erin');
    conversation = await createConversation(server.url, alice.cookie, 'Roles');
    const { token } = await createInvite(server.url, alice.cookie, conversation.id);
    for (const actor of [bob, carol, dave]) await joinAsAccount(server.url, actor.cookie, token);
    guest = await joinAsGuest(server.url, token, 'Gail');
  });
  afterAll(async () => {
    await server.cleanup();
  });

  const rolePath = (userId: string, conversationId = conversation.id) =>
    `/api/conversations/${conversationId}/members/${userId}/role`;

  function change(actor: Actor | undefined, userId: string, role: string) {
    return api(server.url, rolePath(userId), { method: 'PUT', cookie: actor?.cookie, body: { role } });
  }

  async function roles(): Promise<Record<string, string>> {
    const detail = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: alice.cookie });
    return Object.fromEntries(
      detail.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role])
    );
  }

  /** Every refusal must leave every role as it was. */
  async function expectRefused(
    answer: Awaited<ReturnType<typeof change>>,
    status: number,
    error: RegExp,
    rolesBefore: Record<string, string>
  ) {
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatch(error);
    expect(await roles()).toEqual(rolesBefore);
  }

  it('R4: the owner makes a participant a moderator and answers the updated member', async () => {
    const answer = await change(alice, bob.user.id, 'moderator');
    expect(answer.status).toBe(200);
    expect(answer.body.member).toMatchObject({
      conversationId: conversation.id,
      userId: bob.user.id,
      role: 'moderator',
      username: 'bob',
      kind: 'account'
    });
    expect((await roles())[bob.user.id]).toBe('moderator');
    const bobView = await api(server.url, `/api/conversations/${conversation.id}`, { cookie: bob.cookie });
    expect(bobView.body.me.role).toBe('moderator');
  });

  it('R4: a moderator promotes and demotes another member', async () => {
    expect((await change(bob, carol.user.id, 'moderator')).status).toBe(200);
    expect((await roles())[carol.user.id]).toBe('moderator');
    expect((await change(bob, carol.user.id, 'participant')).status).toBe(200);
    expect((await roles())[carol.user.id]).toBe('participant');
  });

  it('R4: a participant cannot promote anyone, themselves included (403)', async () => {
    const before = await roles();
    await expectRefused(
      await change(carol, dave.user.id, 'moderator'),
      403,
      /Only owners and moderators/,
      before
    );
    await expectRefused(
      await change(carol, carol.user.id, 'moderator'),
      403,
      /Only owners and moderators/,
      before
    );
  });

  it('R4: a guest cannot change roles (403)', async () => {
    const before = await roles();
    await expectRefused(
      await change(guest, dave.user.id, 'moderator'),
      403,
      /Only owners and moderators/,
      before
    );
  });

  it('R5: the owner’s role cannot be changed, by a moderator or by the owner (403)', async () => {
    const before = await roles();
    await expectRefused(
      await change(bob, alice.user.id, 'participant'),
      403,
      /owner’s role cannot be changed/,
      before
    );
    await expectRefused(
      await change(alice, alice.user.id, 'moderator'),
      403,
      /owner’s role cannot be changed/,
      before
    );
  });

  it('R5: a guest cannot become a moderator (403)', async () => {
    const before = await roles();
    await expectRefused(
      await change(alice, guest.user.id, 'moderator'),
      403,
      /Guests cannot become moderators/,
      before
    );
  });

  it('R5: setting the role a member already has is refused with 409', async () => {
    const before = await roles();
    await expectRefused(await change(alice, bob.user.id, 'moderator'), 409, /already is a moderator/, before);
    await expectRefused(
      await change(alice, dave.user.id, 'participant'),
      409,
      /already is a participant/,
      before
    );
  });

  it('R4: a demoted moderator can no longer change roles', async () => {
    expect((await change(alice, bob.user.id, 'participant')).status).toBe(200);
    const before = await roles();
    await expectRefused(
      await change(bob, dave.user.id, 'moderator'),
      403,
      /Only owners and moderators/,
      before
    );
  });

  it('R4: non-members, anonymous callers, unknown members and unknown conversations are refused', async () => {
    const before = await roles();
    await expectRefused(await change(outsider, dave.user.id, 'moderator'), 403, /not a member/, before);
    await expectRefused(await change(undefined, dave.user.id, 'moderator'), 401, /Not signed in/, before);
    await expectRefused(await change(alice, outsider.user.id, 'moderator'), 404, /not a member/, before);
    await expectRefused(await change(alice, 'no-such-user-1', 'moderator'), 404, /not a member/, before);
    const unknownConversation = await api(server.url, rolePath(dave.user.id, 'no-such-conversation'), {
      method: 'PUT',
      cookie: alice.cookie,
      body: { role: 'moderator' }
    });
    expect(unknownConversation.status).toBe(404);
    expect(await roles()).toEqual(before);
  });

  it('R4: roles survive a server restart', async () => {
    expect((await change(alice, dave.user.id, 'moderator')).status).toBe(200);
    const before = await roles();
    await server.restart();
    expect(await roles()).toEqual(before);
    expect(before[dave.user.id]).toBe('moderator');
  });
});
