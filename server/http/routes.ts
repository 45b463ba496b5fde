import type { IncomingMessage } from 'node:http';
import type * as v from 'valibot';
import { MAIN_ROOM, getDocName } from '../../src/lib/domain/docs';
import {
  asConversationId,
  asUserId,
  isValidId,
  type ConversationId,
  type UserId
} from '../../src/lib/domain/ids';
import { decideRoleChange, mayInvite, mayPostChat } from '../../src/lib/domain/policy';
import { isModerator, roleForJoiner, type AssignableRole } from '../../src/lib/domain/roles';
import {
  appendChatMessage,
  readChatMessages,
  writeConversationInfo,
  writeMember,
  type MetaMember
} from '../../src/lib/sync/schema';
import type { Auth } from '../auth/index';
import { UsernameTakenError } from '../auth/index';
import { hashToken, isWellFormedToken, newId, newToken } from '../auth/tokens';
import type { Breakout } from '../breakout/index';
import type { Conversation, Invite, Member, Membership, Persistence, User } from '../persistence/types';
import type { Identity, SyncServer } from '../sync/types';
import { getRequestOrigin } from './origin';
import { HttpError, type Route } from './router';
import {
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
}

const metaDocName = (conversationId: ConversationId) => getDocName({ conversationId, kind: 'meta' });

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
  onError = (error, context) => console.error(`[http] ${context}:`, error)
}: RouteDeps): Route[] {
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

  /** Adds the member (idempotent, SPEC R3) and, only for a new membership, shows it in the meta document. */
  async function join(conversationId: ConversationId, user: User): Promise<Membership> {
    const { membership, created } = await persistence.addMember({
      conversationId,
      userId: user.id,
      role: roleForJoiner(user.kind),
      joinedAt: now()
    });
    if (created) {
      const entry = toMetaMember({
        ...membership,
        displayName: user.displayName,
        username: user.username,
        kind: user.kind
      });
      await sync.writeAsServer(metaDocName(conversationId), (doc) => writeMember(doc, entry));
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
        await sync.writeAsServer(metaDocName(conversation.id), (doc) => {
          writeConversationInfo(doc, { ...conversation });
          writeMember(doc, owner);
        });
        return { status: 201, body: { conversation } };
      }
    },
    {
      method: 'GET',
      path: '/api/conversations/:id',
      async handle({ req, params }) {
        const me = await requireIdentity(req);
        const conversation = await requireConversation(params.id);
        const membership = await requireMembership(conversation.id, me.userId);
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
        const me = await requireIdentity(req);
        const conversation = await requireConversation(params.id);
        const membership = await requireMembership(conversation.id, me.userId);
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
        const me = await requireIdentity(req);
        const { role: newRole } = body as { role: AssignableRole };
        const conversation = await requireConversation(params.id);
        const mine = await requireMembership(conversation.id, me.userId);
        const members = await persistence.listMembers(conversation.id);
        const target = isValidId(params.userId) ? members.find((m) => m.userId === params.userId) : undefined;
        if (!target) throw new HttpError(404, 'This person is not a member of this conversation.');
        const decision = decideRoleChange({
          actorRole: mine.role,
          targetRole: target.role,
          targetKind: target.kind,
          newRole
        });
        if (!decision.ok) throw new HttpError(decision.status, decision.reason);
        await persistence.setRole(conversation.id, target.userId, newRole);
        const member: Member = { ...target, role: newRole };
        await sync.writeAsServer(metaDocName(conversation.id), (doc) =>
          writeMember(doc, toMetaMember(member))
        );
        await sync.reviseAccess(conversation.id, asUserId(target.userId));
        return { status: 200, body: { member } };
      }
    },
    {
      method: 'DELETE',
      path: '/api/conversations/:id/breakout',
      async handle({ req, params }) {
        const me = await requireIdentity(req);
        const conversation = await requireConversation(params.id);
        const membership = await requireMembership(conversation.id, me.userId);
        if (!isModerator(membership.role)) {
          throw new HttpError(403, 'Only owners and moderators can delete breakout rooms.');
        }
        await breakout.deleteRooms({ conversationId: conversation.id });
        return { status: 204 };
      }
    },
    {
      method: 'POST',
      path: '/api/conversations/:id/messages',
      body: postMessageBody,
      async handle({ req, params, body }) {
        const me = await requireIdentity(req);
        const input = body as v.InferOutput<typeof postMessageBody>;
        const conversation = await requireConversation(params.id);
        const membership = await requireMembership(conversation.id, me.userId);
        if (!mayPostChat(membership.role)) throw new HttpError(403, 'You cannot post in this conversation.');
        const { message, inserted } = await persistence.appendMessage({
          id: input.id,
          conversationId: conversation.id,
          room: MAIN_ROOM,
          authorId: me.userId,
          authorName: me.displayName,
          text: input.text,
          createdAt: now()
        });
        const entry = {
          id: message.id,
          authorId: message.authorId,
          authorName: message.authorName,
          text: message.text,
          createdAt: message.createdAt
        };
        const chatDoc = getDocName({ conversationId: conversation.id, kind: 'chat', room: MAIN_ROOM });
        if (!inserted) {
          // A retry returns what was stored (SPEC R22); the same id from anyone else, or elsewhere, is a clash.
          if (
            message.authorId !== me.userId ||
            message.conversationId !== conversation.id ||
            message.room !== MAIN_ROOM
          ) {
            throw new HttpError(409, 'A message with this id already exists. Send it again with a new id.');
          }
          // If the first attempt stopped between the table and the document (a crash), the retry completes
          // it; otherwise this changes nothing and sends no update.
          await sync.writeAsServer(chatDoc, (doc) => {
            if (!readChatMessages(doc).some((m) => m.id === entry.id)) appendChatMessage(doc, entry);
          });
          return { status: 200, body: { message } };
        }
        await sync.writeAsServer(chatDoc, (doc) => appendChatMessage(doc, entry));
        return { status: 201, body: { message } };
      }
    },
    {
      method: 'GET',
      path: '/api/conversations/:id/messages',
      async handle({ req, params, url }) {
        const me = await requireIdentity(req);
        const before = readWholeNumber(url, 'before', { min: 0, max: Number.MAX_SAFE_INTEGER });
        const limit =
          readWholeNumber(url, 'limit', { min: 1, max: MAX_MESSAGE_PAGE }) ?? DEFAULT_MESSAGE_PAGE;
        const conversation = await requireConversation(params.id);
        await requireMembership(conversation.id, me.userId);
        const messages = await persistence.listMessages(conversation.id, MAIN_ROOM, { before, limit });
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
