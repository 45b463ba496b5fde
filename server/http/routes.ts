import type { IncomingMessage } from 'node:http';
import type * as v from 'valibot';
import { MAIN_ROOM } from '../../src/lib/domain/docs';
import { isInRoomPostGrace } from '../../src/lib/domain/session';
import {
  asConversationId,
  isValidId,
  asUserId,
  type ConversationId,
  type MessageId,
  type UserId
} from '../../src/lib/domain/ids';
import {
  SIGNED_IN_AS_SOMEONE_ELSE,
  decideRoleChange,
  mayInvite,
  mayPostChat
} from '../../src/lib/domain/policy';
import { isModerator, roleForJoiner, type AssignableRole } from '../../src/lib/domain/roles';
import type { MetaMember } from '../../src/lib/sync/schema';
import type { Auth } from '../auth/index';
import { UsernameTakenError } from '../auth/index';
import type { Identity } from '../auth/identity';
import { createThrottle } from '../auth/throttle';
import { hashToken, isWellFormedToken, newId, newToken } from '../auth/tokens';
import type { Breakout, IntentResult } from '../breakout/index';
import {
  MembershipChangedError,
  type Conversation,
  type Invite,
  type Member,
  type Membership,
  type Persistence,
  type User
} from '../persistence/types';
import { SyncClosedError, createMetaWriter, type SyncServer } from '../sync/index';
import { getRequestOrigin } from './origin';
import { HttpError, type Route } from './router';
import {
  broadcastBody,
  checkRoomKey,
  chooseRoomBody,
  createConversationBody,
  guestJoinBody,
  postMessageBody,
  roleChangeBody,
  signInBody,
  signUpBody
} from './schemas';

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_MESSAGE_PAGE = 200;
const MAX_MESSAGE_PAGE = 1000;

export interface RouteDeps {
  persistence: Persistence;
  auth: Auth;
  sync: SyncServer;
  breakout: Breakout;
  now: () => number;
  publicUrl?: string;
  /** Where failures that must not fail the request are reported. Default `console.error`. */
  onError?: (error: unknown, context: string) => void;
  /**
   * Sign-in and sign-up attempts allowed per minute (SPEC R63), per client address and per username.
   * Default 60 per address, 10 per username; `Infinity` turns a limit off.
   */
  authAttemptsPerMinute?: { perAddress?: number; perUsername?: number };
}

/** The document writes a REST answer waits for; shutdown refuses them with 503 (SPEC R60). */
async function serverWrite<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof SyncClosedError) {
      throw new HttpError(503, 'The server is restarting. Try again in a moment.', { 'retry-after': '5' });
    }
    throw error;
  }
}

/** An intent's refusal as the HTTP answer the participant reads (SPEC R77). */
function unwrap<T>(result: IntentResult<T>): T {
  if (!result.ok) throw new HttpError(result.status, result.error);
  return result.value;
}

function toMetaMember(
  member: Membership & { displayName: string; username: string | null; kind: User['kind'] }
): MetaMember {
  return {
    userId: member.userId,
    displayName: member.displayName,
    username: member.username,
    kind: member.kind,
    role: member.role,
    joinedAt: member.joinedAt
  };
}

export function createRoutes({
  persistence,
  auth,
  sync,
  breakout,
  now,
  publicUrl,
  onError = (error, context) => console.error(`[http] ${context}:`, error),
  authAttemptsPerMinute = {}
}: RouteDeps): Route[] {
  const meta = createMetaWriter(sync);
  const byAddress = createThrottle({ perMinute: authAttemptsPerMinute.perAddress ?? 60, now });
  const byUsername = createThrottle({ perMinute: authAttemptsPerMinute.perUsername ?? 10, now });

  /** Takes one attempt from the caller's address and the username, or answers 429 (SPEC R63). */
  function throttleAuth(req: IncomingMessage, username: string): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const results = [byAddress.take([address]), byUsername.take([username.trim().toLowerCase()])];
    const refused = results.find((r) => !r.ok);
    if (refused && !refused.ok) {
      const minutes = Math.ceil(refused.retryAfterSeconds / 60);
      throw new HttpError(
        429,
        `Too many sign-in attempts. Wait ${refused.retryAfterSeconds < 60 ? `${refused.retryAfterSeconds} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`} and try again.`,
        { 'retry-after': String(refused.retryAfterSeconds) }
      );
    }
  }

  async function requireIdentity(req: IncomingMessage): Promise<Identity> {
    const identity = await auth.identify(req);
    if (!identity) throw new HttpError(401, 'Not signed in.');
    return identity;
  }

  async function requireConversation(id: string): Promise<Conversation> {
    const conversation = isValidId(id) ? await persistence.getConversation(asConversationId(id)) : null;
    if (!conversation) {
      throw new HttpError(
        404,
        'This conversation does not exist. It may have been deleted, or the link is wrong.'
      );
    }
    return conversation;
  }

  /** The caller's membership; a non-member learns the conversation exists but nothing more (403). */
  async function requireMembership(conversationId: ConversationId, userId: UserId): Promise<Membership> {
    const membership = await persistence.getMembership(conversationId, userId);
    if (!membership) {
      throw new HttpError(
        403,
        'You are not a member of this conversation. Ask a moderator for an invite link.'
      );
    }
    return membership;
  }

  /** The caller, the conversation and the caller's membership: 401, 404 or 403 otherwise. */
  async function requireMember(
    req: IncomingMessage,
    id: string
  ): Promise<{ me: Identity; conversation: Conversation; membership: Membership }> {
    const me = await requireIdentity(req);
    const conversation = await requireConversation(id);
    const membership = await requireMembership(conversation.id, me.userId);
    return { me, conversation, membership };
  }

  /** A usable invite, or 404 for unknown and forged tokens and 410 for expired ones (SPEC R6). */
  async function requireInvite(token: string): Promise<{ invite: Invite; conversation: Conversation }> {
    const invite = isWellFormedToken(token) ? await persistence.getInvite(hashToken(token)) : null;
    const conversation = invite ? await persistence.getConversation(invite.conversationId) : null;
    if (!invite || !conversation) {
      throw new HttpError(
        404,
        'This invite link is not valid. Check that you copied the whole link, or ask for a new one.'
      );
    }
    if (invite.expiresAt <= now()) {
      throw new HttpError(410, 'This invite link has expired. Ask the person who invited you for a new one.');
    }
    return { invite, conversation };
  }

  /**
   * Adds the member (idempotent, SPEC R3) and makes sure the meta document shows it as stored, also
   * on a repeated join, so a meta entry that went missing comes back (SPEC R61).
   */
  async function join(conversationId: ConversationId, user: User): Promise<Membership> {
    const { membership, created } = await persistence.addMember({
      conversationId,
      userId: user.id,
      role: roleForJoiner(user.kind),
      joinedAt: now()
    });
    const entry = toMetaMember({
      ...membership,
      displayName: user.displayName,
      username: user.username,
      kind: user.kind
    });
    await serverWrite(meta.ensureMember(conversationId, entry));
    if (created) {
      // The join itself has succeeded; a seat that could not be given is reported, not answered with 500.
      try {
        await breakout.placeLateJoiner({ conversationId, userId: user.id });
      } catch (error) {
        onError(error, `placing late joiner ${user.id} in a breakout room of ${conversationId}`);
      }
    }
    return membership;
  }

  const userJson = (user: User) => ({ user });

  return [
    {
      method: 'POST',
      path: '/api/auth/signup',
      body: signUpBody,
      async handle({ req, body }) {
        const input = body as v.InferOutput<typeof signUpBody>;
        throttleAuth(req, input.username);
        let user: User;
        try {
          user = await auth.signUp({
            username: input.username,
            password: input.password,
            displayName: input.displayName ?? input.username
          });
        } catch (error) {
          if (error instanceof UsernameTakenError) {
            throw new HttpError(409, `The username “${input.username}” is taken. Choose another one.`);
          }
          throw error;
        }
        const cookie = await auth.startSession({ req, userId: user.id, kind: 'account' });
        return { status: 201, body: userJson(user), headers: { 'set-cookie': [cookie] } };
      }
    },
    {
      method: 'POST',
      path: '/api/auth/signin',
      body: signInBody,
      async handle({ req, body }) {
        const input = body as v.InferOutput<typeof signInBody>;
        throttleAuth(req, input.username);
        const user = await auth.signIn({
          username: input.username.trim().toLowerCase(),
          password: input.password
        });
        if (!user) throw new HttpError(401, 'Wrong username or password.');
        const cookie = await auth.startSession({ req, userId: user.id, kind: 'account' });
        return { status: 200, body: userJson(user), headers: { 'set-cookie': [cookie] } };
      }
    },
    {
      method: 'POST',
      path: '/api/auth/signout',
      async handle({ req }) {
        return { status: 204, headers: { 'set-cookie': await auth.endSession(req) } };
      }
    },
    {
      method: 'GET',
      path: '/api/me',
      async handle({ req }) {
        const user = await auth.currentUser(req);
        if (!user) throw new HttpError(401, 'Not signed in.');
        return { status: 200, body: userJson(user) };
      }
    },
    {
      // The server's clock, which decides intents (SPEC R71): pages estimate their offset from it, so
      // every replica derives the session's phase from the same time. No sign-in needed; never cached.
      method: 'GET',
      path: '/api/time',
      async handle() {
        return { status: 200, body: { now: now() }, headers: { 'cache-control': 'no-store' } };
      }
    },
    {
      method: 'GET',
      path: '/api/conversations',
      async handle({ req }) {
        const me = await requireIdentity(req);
        return {
          status: 200,
          body: { conversations: await persistence.listConversationsForUser(me.userId) }
        };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations',
      body: createConversationBody,
      async handle({ req, body }) {
        const me = await requireIdentity(req);
        if (me.kind === 'guest') {
          throw new HttpError(403, 'Guests cannot create conversations. Sign up for an account first.');
        }
        const user = await persistence.getUser(me.userId);
        if (!user) throw new HttpError(401, 'Not signed in.');
        const { title } = body as v.InferOutput<typeof createConversationBody>;
        const conversation = await persistence.createConversation({
          id: asConversationId(newId()),
          title,
          ownerId: me.userId,
          createdAt: now()
        });
        const owner: MetaMember = {
          userId: user.id,
          displayName: user.displayName,
          username: user.username,
          kind: user.kind,
          role: 'owner',
          joinedAt: conversation.createdAt
        };
        await serverWrite(meta.ensureConversation(conversation));
        await serverWrite(meta.ensureMember(conversation.id, owner));
        return { status: 201, body: { conversation } };
      }
    },
    {
      method: 'GET',
      path: '/api/conversations/:id',
      async handle({ req, params }) {
        const { me, conversation, membership } = await requireMember(req, params.id);
        const members: Member[] = await persistence.listMembers(conversation.id);
        return {
          status: 200,
          body: { conversation, me: { userId: me.userId, role: membership.role }, members }
        };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/invites',
      async handle({ req, params }) {
        const { me, conversation, membership } = await requireMember(req, params.id);
        if (!mayInvite(membership.role)) {
          throw new HttpError(403, 'Only owners and moderators can create invite links.');
        }
        const token = newToken();
        const createdAt = now();
        const expiresAt = createdAt + INVITE_TTL_MS;
        await persistence.createInvite({
          tokenHash: hashToken(token),
          conversationId: conversation.id,
          createdBy: me.userId,
          createdAt,
          expiresAt
        });
        const base = publicUrl ?? getRequestOrigin(req);
        return { status: 201, body: { token, url: `${base}/invite/${token}`, expiresAt } };
      }
    },
    {
      method: 'GET',
      path: '/api/invites/:token',
      async handle({ params }) {
        const { invite, conversation } = await requireInvite(params.token);
        return {
          status: 200,
          body: {
            conversation: { id: conversation.id, title: conversation.title },
            expiresAt: invite.expiresAt
          }
        };
      }
    },
    {
      method: 'POST',
      path: '/api/invites/:token/join',
      async handle({ req, params }) {
        const { conversation } = await requireInvite(params.token);
        const user = await auth.currentUser(req);
        if (!user) {
          throw new HttpError(401, 'Sign in, sign up or join as a guest to accept this invite.');
        }
        const membership = await join(conversation.id, user);
        return { status: 200, body: { conversationId: conversation.id, role: membership.role } };
      }
    },
    {
      method: 'POST',
      path: '/api/invites/:token/guest',
      body: guestJoinBody,
      async handle({ req, params, body }) {
        const { conversation } = await requireInvite(params.token);
        const signedIn = await auth.currentUser(req);
        if (signedIn?.kind === 'account') {
          throw new HttpError(409, 'You are signed in; join with your account.');
        }
        const { displayName } = body as v.InferOutput<typeof guestJoinBody>;
        const headers: Record<string, string[]> = {};
        // A returning guest keeps the identity in its cookie (SPEC R7); only a new guest gets a cookie.
        let guest = signedIn;
        if (!guest) {
          guest = await auth.createGuest({ displayName });
          headers['set-cookie'] = [await auth.startSession({ req, userId: guest.id, kind: 'guest' })];
        }
        const membership = await join(conversation.id, guest);
        return {
          status: 200,
          body: { conversationId: conversation.id, role: membership.role, user: guest },
          headers
        };
      }
    },
    {
      method: 'PUT',
      path: '/api/conversations/:id/members/:userId/role',
      body: roleChangeBody,
      async handle({ req, params, body }) {
        const { role: newRole } = body as { role: AssignableRole };
        const { conversation, membership: mine } = await requireMember(req, params.id);
        const members = await persistence.listMembers(conversation.id);
        const target = isValidId(params.userId) ? members.find((m) => m.userId === params.userId) : undefined;
        if (!target) throw new HttpError(404, 'This person is not a member of this conversation.');
        const decision = decideRoleChange({
          actorRole: mine.role,
          targetRole: target.role,
          targetKind: target.kind,
          newRole
        });
        if (!decision.ok) {
          // Asking again for the role someone has repairs a meta document that shows otherwise (SPEC R61).
          if (decision.status === 409 && isModerator(mine.role)) {
            await serverWrite(meta.ensureMember(conversation.id, toMetaMember(target)));
          }
          throw new HttpError(decision.status, decision.reason);
        }
        try {
          await persistence.setRole(conversation.id, target.userId, newRole, { from: target.role });
        } catch (error) {
          if (!(error instanceof MembershipChangedError)) throw error;
          // Another request changed or removed the membership since it was read (SPEC R5).
          const current = await persistence.getMembership(conversation.id, target.userId);
          if (!current) throw new HttpError(404, 'This person is not a member of this conversation.');
          throw new HttpError(
            409,
            `This member’s role was just changed to ${current.role}. Reload to see it.`
          );
        }
        // At once, before anything else can run: no frame of a demoted moderator is applied after the
        // role is stored (SPEC R14).
        sync.reviseAccess(conversation.id, target.userId, newRole);
        const member: Member = { ...target, role: newRole };
        await serverWrite(meta.ensureMember(conversation.id, toMetaMember(member)));
        return { status: 200, body: { member } };
      }
    },
    {
      method: 'DELETE',
      path: '/api/conversations/:id/breakout',
      async handle({ req, params }) {
        const { me, conversation, membership } = await requireMember(req, params.id);
        if (!isModerator(membership.role)) {
          throw new HttpError(403, 'Only owners and moderators can delete breakout rooms.');
        }
        await breakout.deleteRooms({
          conversationId: conversation.id,
          actor: { userId: me.userId, displayName: me.displayName }
        });
        return { status: 204 };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/breakout/choose',
      body: chooseRoomBody,
      async handle({ req, params, body }) {
        const { roomId } = body as v.InferOutput<typeof chooseRoomBody>;
        const { me, conversation } = await requireMember(req, params.id);
        const result = await serverWrite(
          breakout.chooseRoom({ conversationId: conversation.id, userId: me.userId, roomId })
        );
        return { status: 200, body: unwrap(result) };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/breakout/help',
      async handle({ req, params }) {
        const { me, conversation } = await requireMember(req, params.id);
        const result = await serverWrite(
          breakout.requestHelp({ conversationId: conversation.id, userId: me.userId })
        );
        return { status: 201, body: { request: { userId: me.userId, ...unwrap(result) } } };
      }
    },
    {
      method: 'DELETE',
      path: '/api/conversations/:id/breakout/help',
      async handle({ req, params }) {
        const { me, conversation } = await requireMember(req, params.id);
        unwrap(
          await serverWrite(breakout.withdrawHelp({ conversationId: conversation.id, userId: me.userId }))
        );
        return { status: 204 };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/breakout/return',
      async handle({ req, params }) {
        const { me, conversation } = await requireMember(req, params.id);
        unwrap(
          await serverWrite(breakout.returnToMain({ conversationId: conversation.id, userId: me.userId }))
        );
        return { status: 200, body: { roomId: null } };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/breakout/rejoin',
      async handle({ req, params }) {
        const { me, conversation } = await requireMember(req, params.id);
        const result = await serverWrite(
          breakout.rejoinRoom({ conversationId: conversation.id, userId: me.userId })
        );
        return { status: 200, body: unwrap(result) };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/breakout/broadcast',
      body: broadcastBody,
      async handle({ req, params, body }) {
        const input = body as v.InferOutput<typeof broadcastBody>;
        const { me, conversation, membership } = await requireMember(req, params.id);
        if (!isModerator(membership.role)) {
          throw new HttpError(403, 'Only owners and moderators can broadcast to the breakout rooms.');
        }
        const result = await serverWrite(
          breakout.broadcast({
            conversationId: conversation.id,
            author: { userId: asUserId(me.userId), displayName: me.displayName },
            id: input.id,
            text: input.text
          })
        );
        return { status: 201, body: unwrap(result) };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/messages',
      body: postMessageBody,
      async handle({ req, params, body }) {
        const input = body as v.InferOutput<typeof postMessageBody>;
        const { me, conversation, membership } = await requireMember(req, params.id);
        // An outbox of another tab's user must not post under this cookie's name (SPEC R25).
        if (input.authorId !== undefined && input.authorId !== me.userId) {
          throw new HttpError(409, SIGNED_IN_AS_SOMEONE_ELSE);
        }
        if (!mayPostChat(membership.role)) throw new HttpError(403, 'You cannot post in this conversation.');
        const room = input.room ?? MAIN_ROOM;
        if (room !== MAIN_ROOM) {
          // A room chat takes posts from the people in that room now, and from moderators (SPEC R77).
          const place = await serverWrite(
            breakout.locate({ conversationId: conversation.id, userId: me.userId, room })
          );
          if (!place.roomExists) {
            throw new HttpError(
              404,
              'This room does not exist in this conversation. It may have been removed.'
            );
          }
          if (!isModerator(place.role) && place.location !== room) {
            // Whoever was in the room when the session closed (and had not gone back to the main room)
            // may still post there for a short while: a last message is kept, not lost (SPEC R73).
            const endedInRoom =
              place.phase.kind === 'idle' &&
              place.session !== null &&
              place.assignedRoom === room &&
              !place.returned;
            if (!endedInRoom) throw new HttpError(403, 'You are not in this room.');
            if (!isInRoomPostGrace({ session: place.session, now: place.at })) {
              throw new HttpError(
                403,
                'This breakout session has ended, so the room no longer takes messages. Post in the main room instead.'
              );
            }
          }
        }
        const { message, inserted } = await persistence.appendMessage({
          id: input.id,
          conversationId: conversation.id,
          room,
          authorId: me.userId,
          authorName: me.displayName,
          text: input.text,
          createdAt: now()
        });
        // A retry returns what was stored (SPEC R22); the same id from anyone else, or elsewhere, is a clash.
        if (
          !inserted &&
          (message.authorId !== me.userId ||
            message.conversationId !== conversation.id ||
            message.room !== room)
        ) {
          throw new HttpError(409, 'A message with this id already exists. Send it again with a new id.');
        }
        // A retry after a first attempt that stopped between the table and the document (a crash, a
        // shutdown) completes it; otherwise it changes nothing and sends no update.
        await serverWrite(
          meta.appendChatOnce({
            conversationId: conversation.id,
            room,
            entry: {
              id: message.id,
              authorId: message.authorId,
              authorName: message.authorName,
              text: message.text,
              createdAt: message.createdAt
            }
          })
        );
        return { status: inserted ? 201 : 200, body: { message } };
      }
    },
    {
      method: 'GET',
      path: '/api/conversations/:id/messages',
      async handle({ req, params, url }) {
        const before = readWholeNumber(url, 'before', { min: 0, max: Number.MAX_SAFE_INTEGER });
        const limit =
          readWholeNumber(url, 'limit', { min: 1, max: MAX_MESSAGE_PAGE }) ?? DEFAULT_MESSAGE_PAGE;
        const beforeId = url.searchParams.get('beforeId') ?? undefined;
        if (beforeId !== undefined && !isValidId(beforeId)) {
          throw new HttpError(400, '“beforeId” must be the id of the oldest message you have.');
        }
        const roomParam = url.searchParams.get('room');
        let room = MAIN_ROOM;
        if (roomParam !== null) {
          const checkedRoom = checkRoomKey(roomParam);
          if (!checkedRoom.ok) throw new HttpError(400, checkedRoom.error);
          room = checkedRoom.value;
        }
        const { me, conversation, membership } = await requireMember(req, params.id);
        if (room !== MAIN_ROOM && !isModerator(membership.role)) {
          // The same readers as the room's chat document (SPEC R81).
          const assigned = await serverWrite(sync.getAssignedRoom(conversation.id, me.userId));
          if (assigned !== room) {
            throw new HttpError(
              403,
              'This room’s chat is open to the people in that room and to the moderators.'
            );
          }
        }
        const messages = await persistence.listMessages(conversation.id, room, {
          before,
          limit,
          beforeId: beforeId as MessageId | undefined
        });
        return { status: 200, body: { messages } };
      }
    }
  ];
}

function readWholeNumber(url: URL, name: string, range: { min: number; max: number }): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new HttpError(
      400,
      `“${name}” must be a whole number from ${range.min} to ${range.max.toLocaleString('en-US')}; got “${raw}”.`
    );
  }
  return value;
}
