/**
 * The contract every Persistence implementation keeps (house style: one suite, every implementation).
 * Call it from an implementation's test file with a factory that returns a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  asConversationId,
  asMessageId,
  asUserId,
  type ConversationId,
  type UserId
} from '../../src/lib/domain/ids';
import type { MemberKind } from '../../src/lib/domain/roles';
import { MembershipChangedError, UsernameTakenError, type ChatMessage, type Persistence } from './types';

export function runPersistenceContract(
  name: string,
  makePersistence: () => Promise<Persistence> | Persistence
): void {
  describe(`Persistence contract: ${name}`, () => {
    let store: Persistence;
    let seq = 0;

    beforeEach(async () => {
      store = await makePersistence();
    });
    afterEach(async () => {
      await store.close();
    });

    const uid = (prefix: string) => `${prefix}_${String(++seq).padStart(8, '0')}`;

    async function user(options: { username?: string | null; kind?: MemberKind } = {}) {
      const kind = options.kind ?? 'account';
      const username =
        options.username === undefined ? (kind === 'guest' ? null : uid('user')) : options.username;
      return store.createUser({
        id: asUserId(uid('u')),
        username,
        displayName: username ?? 'Guest',
        kind,
        passwordHash: kind === 'guest' ? null : 'aGFzaA==',
        salt: kind === 'guest' ? null : 'c2FsdA==',
        createdAt: 1000 + seq
      });
    }

    async function conversation(ownerId: UserId, createdAt = 5000) {
      return store.createConversation({
        id: asConversationId(uid('c')),
        title: 'Workshop',
        ownerId,
        createdAt
      });
    }

    function message(
      conversationId: ConversationId,
      authorId: UserId,
      overrides: Partial<ChatMessage> = {}
    ): ChatMessage {
      return {
        id: asMessageId(uid('m')),
        conversationId,
        room: 'main',
        authorId,
        authorName: 'alice',
        text: 'hello',
        createdAt: 10_000,
        ...overrides
      };
    }

    it('stores a user and finds it by id and by username with its secret', async () => {
      const alice = await user({ username: 'alice' });
      expect(await store.getUser(alice.id)).toEqual(alice);
      const secret = await store.getUserSecretByUsername('alice');
      expect(secret).toEqual({ user: alice, passwordHash: 'aGFzaA==', salt: 'c2FsdA==' });
      expect(await store.getUserSecretByUsername('nobody')).toBeNull();
      expect(await store.getUser(asUserId('missing_user'))).toBeNull();
    });

    it('R8: a second user with a taken username is refused with UsernameTakenError', async () => {
      const alice = await user({ username: 'alice' });
      await expect(user({ username: 'alice' })).rejects.toBeInstanceOf(UsernameTakenError);
      expect((await store.getUserSecretByUsername('alice'))?.user.id).toBe(alice.id);
    });

    it('R7: many guests without usernames can exist side by side', async () => {
      const a = await user({ kind: 'guest' });
      const b = await user({ kind: 'guest' });
      expect(a.username).toBeNull();
      expect((await store.getUser(b.id))?.kind).toBe('guest');
    });

    it('R9: sessions are stored by token hash and deleted on sign-out', async () => {
      const alice = await user();
      await store.createSession({ tokenHash: 'hash-1', userId: alice.id, expiresAt: 99 });
      expect(await store.getSession('hash-1')).toEqual({
        tokenHash: 'hash-1',
        userId: alice.id,
        expiresAt: 99
      });
      await store.deleteSession('hash-1');
      expect(await store.getSession('hash-1')).toBeNull();
    });

    it('R2: creating a conversation makes its creator the owner', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      expect(await store.getConversation(c.id)).toEqual(c);
      expect(await store.getMembership(c.id, alice.id)).toEqual({
        conversationId: c.id,
        userId: alice.id,
        role: 'owner',
        joinedAt: c.createdAt
      });
      expect(await store.getConversation(asConversationId('missing_conv'))).toBeNull();
    });

    it('R3: adding a member twice keeps the first membership and its role', async () => {
      const alice = await user();
      const bob = await user();
      const c = await conversation(alice.id);
      const first = await store.addMember({
        conversationId: c.id,
        userId: bob.id,
        role: 'participant',
        joinedAt: 6000
      });
      expect(first.created).toBe(true);
      await store.setRole(c.id, bob.id, 'moderator');
      const again = await store.addMember({
        conversationId: c.id,
        userId: bob.id,
        role: 'participant',
        joinedAt: 7000
      });
      expect(again).toEqual({
        created: false,
        membership: { conversationId: c.id, userId: bob.id, role: 'moderator', joinedAt: 6000 }
      });
    });

    it('R1: members are listed with their user details, ordered by join time', async () => {
      const alice = await user({ username: 'alice' });
      const guest = await user({ kind: 'guest' });
      const c = await conversation(alice.id, 5000);
      await store.addMember({ conversationId: c.id, userId: guest.id, role: 'guest', joinedAt: 6000 });
      const members = await store.listMembers(c.id);
      expect(members.map((m) => [m.userId, m.role, m.kind, m.username])).toEqual([
        [alice.id, 'owner', 'account', 'alice'],
        [guest.id, 'guest', 'guest', null]
      ]);
      expect(members[1].displayName).toBe('Guest');
    });

    it('R4: setRole changes one member’s role and nothing else', async () => {
      const alice = await user();
      const bob = await user();
      const carol = await user();
      const c = await conversation(alice.id);
      await store.addMember({ conversationId: c.id, userId: bob.id, role: 'participant', joinedAt: 6000 });
      await store.addMember({ conversationId: c.id, userId: carol.id, role: 'participant', joinedAt: 6001 });
      await store.setRole(c.id, bob.id, 'moderator');
      expect((await store.getMembership(c.id, bob.id))?.role).toBe('moderator');
      expect((await store.getMembership(c.id, carol.id))?.role).toBe('participant');
      expect((await store.getMembership(c.id, alice.id))?.role).toBe('owner');
    });

    it('R4: setRole for someone who is not a member fails instead of silently doing nothing', async () => {
      const alice = await user();
      const bob = await user();
      const c = await conversation(alice.id);
      await expect(store.setRole(c.id, bob.id, 'moderator')).rejects.toThrow();
      expect(await store.getMembership(c.id, bob.id)).toBeNull();
    });

    it('R5: setRole with `from` changes nothing when someone changed the role first', async () => {
      const alice = await user();
      const bob = await user();
      const c = await conversation(alice.id);
      await store.addMember({ conversationId: c.id, userId: bob.id, role: 'participant', joinedAt: 6000 });
      await store.setRole(c.id, bob.id, 'moderator', { from: 'participant' });
      await expect(store.setRole(c.id, bob.id, 'moderator', { from: 'participant' })).rejects.toBeInstanceOf(
        MembershipChangedError
      );
      await expect(
        store.setRole(c.id, alice.id, 'participant', { from: 'moderator' })
      ).rejects.toBeInstanceOf(MembershipChangedError);
      expect((await store.getMembership(c.id, bob.id))?.role).toBe('moderator');
      expect((await store.getMembership(c.id, alice.id))?.role).toBe('owner');
    });

    it('R62: purgeExpired deletes expired sessions and invites and keeps the rest', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      await store.createSession({ tokenHash: 's-old', userId: alice.id, expiresAt: 100 });
      await store.createSession({ tokenHash: 's-new', userId: alice.id, expiresAt: 300 });
      const invite = { conversationId: c.id, createdBy: alice.id, createdAt: 1 };
      await store.createInvite({ ...invite, tokenHash: 'i-old', expiresAt: 200 });
      await store.createInvite({ ...invite, tokenHash: 'i-new', expiresAt: 201 });
      expect(await store.purgeExpired(200)).toEqual({ sessions: 1, invites: 1 });
      expect(await store.getSession('s-old')).toBeNull();
      expect(await store.getSession('s-new')).not.toBeNull();
      expect(await store.getInvite('i-old')).toBeNull();
      expect(await store.getInvite('i-new')).not.toBeNull();
    });

    it('lists a user’s conversations with their role and member count, newest first', async () => {
      const alice = await user();
      const bob = await user();
      const older = await conversation(alice.id, 5000);
      const newer = await conversation(bob.id, 6000);
      await store.addMember({
        conversationId: newer.id,
        userId: alice.id,
        role: 'participant',
        joinedAt: 6500
      });
      const list = await store.listConversationsForUser(alice.id);
      expect(list.map((s) => [s.id, s.role, s.memberCount])).toEqual([
        [newer.id, 'participant', 2],
        [older.id, 'owner', 1]
      ]);
      expect(list[0]).toMatchObject({ title: 'Workshop', ownerId: bob.id, createdAt: 6000 });
      expect(await store.listConversationsForUser(asUserId('nobody_here'))).toEqual([]);
    });

    it('R6: invites are stored and found by token hash only', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const invite = {
        tokenHash: 'inv-hash',
        conversationId: c.id,
        createdBy: alice.id,
        createdAt: 1,
        expiresAt: 2
      };
      await store.createInvite(invite);
      expect(await store.getInvite('inv-hash')).toEqual(invite);
      expect(await store.getInvite('other-hash')).toBeNull();
    });

    it('R22: appending the same message id twice keeps the first and reports inserted: false', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const first = message(c.id, alice.id, { text: 'first' });
      expect(await store.appendMessage(first)).toEqual({ message: first, inserted: true });
      const retry = await store.appendMessage({ ...first, text: 'changed', createdAt: 20_000 });
      expect(retry).toEqual({ message: first, inserted: false });
      expect(await store.listMessages(c.id, 'main')).toEqual([first]);
    });

    it('R79: a broadcast keeps its mark in the stored history; ordinary posts carry none', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const plain = message(c.id, alice.id, { room: 'roomA00000001', text: 'plain', createdAt: 1 });
      const broadcast = {
        ...message(c.id, alice.id, { room: 'roomA00000001', text: 'to all rooms', createdAt: 2 }),
        broadcast: true
      };
      await store.appendMessage(plain);
      expect(await store.appendMessage(broadcast)).toEqual({ message: broadcast, inserted: true });
      expect(await store.appendMessage(broadcast)).toEqual({ message: broadcast, inserted: false });
      expect(await store.listMessages(c.id, 'roomA00000001')).toEqual([plain, broadcast]);
    });

    it('R79: appendMessages stores several rooms’ rows at once; again, it inserts nothing and answers what is stored', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const rows = ['roomA00000001', 'roomB00000001', 'roomC00000001'].map((room) => ({
        ...message(c.id, alice.id, { room, text: 'to all rooms', createdAt: 3 }),
        broadcast: true
      }));
      expect(await store.appendMessages(rows)).toEqual(rows.map((m) => ({ message: m, inserted: true })));
      const retry = rows.map((m) => ({ ...m, text: 'changed', createdAt: 4 }));
      expect(await store.appendMessages(retry)).toEqual(rows.map((m) => ({ message: m, inserted: false })));
      for (const m of rows) expect(await store.listMessages(c.id, m.room)).toEqual([m]);
      // One new row among stored ones: only it is inserted.
      const extra = message(c.id, alice.id, { room: 'roomD00000001', createdAt: 5 });
      expect(await store.appendMessages([rows[0], extra])).toEqual([
        { message: rows[0], inserted: false },
        { message: extra, inserted: true }
      ]);
      expect(await store.appendMessages([])).toEqual([]);
    });

    it('R79: appendMessages is all or nothing: when one row cannot be stored, none is', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const good = message(c.id, alice.id, { room: 'roomA00000001' });
      const bad = message(asConversationId('missing_conv'), alice.id, { room: 'roomB00000001' });
      await expect(store.appendMessages([good, bad])).rejects.toThrow();
      expect(await store.listMessages(c.id, 'roomA00000001')).toEqual([]);
      expect(await store.getMessages([good.id, bad.id])).toEqual([]);
    });

    it('R22 R79: getMessages finds stored messages by id, in the order asked, and skips unknown ids', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const a = message(c.id, alice.id, { text: 'a' });
      const b = { ...message(c.id, alice.id, { room: 'roomA00000001', text: 'b' }), broadcast: true };
      await store.appendMessages([a, b]);
      expect(await store.getMessages([b.id, asMessageId('msg_unknown1'), a.id])).toEqual([b, a]);
      expect(await store.getMessages([])).toEqual([]);
    });

    it('R24: messages list oldest first per room, with before and limit paging back from the newest', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const stored: ChatMessage[] = [];
      for (let i = 0; i < 5; i++) {
        const m = message(c.id, alice.id, { text: `m${i}`, createdAt: 10_000 + i * 10 });
        stored.push(m);
        await store.appendMessage(m);
      }
      await store.appendMessage(message(c.id, alice.id, { room: 'room-2', text: 'elsewhere' }));
      expect((await store.listMessages(c.id, 'main')).map((m) => m.text)).toEqual([
        'm0',
        'm1',
        'm2',
        'm3',
        'm4'
      ]);
      expect((await store.listMessages(c.id, 'main', { limit: 2 })).map((m) => m.text)).toEqual(['m3', 'm4']);
      expect(
        (await store.listMessages(c.id, 'main', { before: 10_030, limit: 2 })).map((m) => m.text)
      ).toEqual(['m1', 'm2']);
      expect((await store.listMessages(c.id, 'room-2')).map((m) => m.text)).toEqual(['elsewhere']);
    });

    it('R24: messages with the same server time keep their arrival order', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      for (const text of ['a', 'b', 'c'])
        await store.appendMessage(message(c.id, alice.id, { text, createdAt: 1 }));
      expect((await store.listMessages(c.id, 'main')).map((m) => m.text)).toEqual(['a', 'b', 'c']);
    });

    it('R26: paging by the oldest message seen skips none of the messages that share its time', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      for (const text of ['a', 'b', 'c', 'd', 'e'])
        await store.appendMessage(
          message(c.id, alice.id, { id: asMessageId(`msg_${text}_0001`), text, createdAt: 7 })
        );
      const seen: string[] = [];
      let page = await store.listMessages(c.id, 'main', { limit: 2 });
      while (page.length > 0) {
        seen.unshift(...page.map((m) => m.text));
        page = await store.listMessages(c.id, 'main', { limit: 2, beforeId: page[0].id });
      }
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await store.listMessages(c.id, 'room-2', { beforeId: asMessageId('msg_e_0001') })).toEqual([]);
      expect(await store.listMessages(c.id, 'main', { beforeId: asMessageId('msg_unknown1') })).toEqual([]);
    });

    it('R50: deleteMessages removes every other room’s messages of that conversation and nothing else', async () => {
      const alice = await user();
      const c = await conversation(alice.id);
      const other = await conversation(alice.id);
      const kept = [
        message(c.id, alice.id, { text: 'main 1', createdAt: 1 }),
        message(c.id, alice.id, { text: 'main 2', createdAt: 2 })
      ];
      for (const m of kept) await store.appendMessage(m);
      await store.appendMessage(message(c.id, alice.id, { room: 'roomA00000001', text: 'in A' }));
      await store.appendMessage(message(c.id, alice.id, { room: 'roomB00000001', text: 'in B' }));
      const elsewhere = message(other.id, alice.id, { room: 'roomA00000001', text: 'other conversation' });
      await store.appendMessage(elsewhere);

      expect(await store.deleteMessages({ conversationId: c.id, exceptRoom: 'main' })).toEqual({
        deleted: 2
      });
      expect(await store.listMessages(c.id, 'main')).toEqual(kept);
      expect(await store.listMessages(c.id, 'roomA00000001')).toEqual([]);
      expect(await store.listMessages(c.id, 'roomB00000001')).toEqual([]);
      expect(await store.listMessages(other.id, 'roomA00000001')).toEqual([elsewhere]);
      expect(await store.deleteMessages({ conversationId: c.id, exceptRoom: 'main' })).toEqual({
        deleted: 0
      });
    });

    it('R17: the update log keeps updates per document in order and counts its rows', async () => {
      const a = [new Uint8Array([1, 2]), new Uint8Array([3])];
      expect(await store.appendUpdates('doc-a', a)).toEqual({ rowCount: 2 });
      expect(await store.appendUpdates('doc-b', [new Uint8Array([9])])).toEqual({ rowCount: 1 });
      expect(await store.appendUpdates('doc-a', [new Uint8Array([4, 5, 6])])).toEqual({ rowCount: 3 });
      const loaded = await store.loadUpdates('doc-a');
      expect(loaded.map((u) => Array.from(u))).toEqual([[1, 2], [3], [4, 5, 6]]);
      expect(loaded[0]).toBeInstanceOf(Uint8Array);
      expect(await store.loadUpdates('doc-none')).toEqual([]);
    });

    it('R17: an update that is a view into a larger buffer is stored as exactly its own bytes', async () => {
      const backing = new Uint8Array([0, 7, 8, 9, 0]);
      await store.appendUpdates('doc-view', [backing.subarray(1, 4)]);
      expect((await store.loadUpdates('doc-view')).map((u) => Array.from(u))).toEqual([[7, 8, 9]]);
    });

    it('R17: compaction replaces one document’s log by one merged update and leaves others alone', async () => {
      await store.appendUpdates('doc-a', [new Uint8Array([1]), new Uint8Array([2])]);
      await store.appendUpdates('doc-b', [new Uint8Array([3])]);
      await store.replaceUpdates('doc-a', new Uint8Array([1, 2]));
      expect((await store.loadUpdates('doc-a')).map((u) => Array.from(u))).toEqual([[1, 2]]);
      expect((await store.loadUpdates('doc-b')).map((u) => Array.from(u))).toEqual([[3]]);
      expect(await store.appendUpdates('doc-a', [new Uint8Array([5])])).toEqual({ rowCount: 2 });
    });

    it('R50: listDocNames finds stored documents by exact name prefix (no wildcards)', async () => {
      await store.appendUpdates('conversation/c_1/chat/main', [new Uint8Array([1])]);
      await store.appendUpdates('conversation/c_1/chat/room_1', [new Uint8Array([2]), new Uint8Array([3])]);
      await store.appendUpdates('conversation/cx1/chat/room_1', [new Uint8Array([4])]);
      await store.appendUpdates('conversation/c_1/control', [new Uint8Array([5])]);
      expect(await store.listDocNames('conversation/c_1/chat/')).toEqual([
        'conversation/c_1/chat/main',
        'conversation/c_1/chat/room_1'
      ]);
      expect(await store.listDocNames('conversation/c%1/')).toEqual([]);
      expect(await store.listDocNames('nothing/')).toEqual([]);
    });

    it('R50: deleting a document’s log removes all of it and leaves other documents alone', async () => {
      await store.appendUpdates('conversation/c1/chat/roomA', [new Uint8Array([1]), new Uint8Array([2])]);
      await store.appendUpdates('conversation/c1/chat/main', [new Uint8Array([3])]);
      await store.appendUpdates('conversation/c1/chat/roomAB', [new Uint8Array([4])]);
      await store.deleteUpdates('conversation/c1/chat/roomA');
      expect(await store.loadUpdates('conversation/c1/chat/roomA')).toEqual([]);
      expect((await store.loadUpdates('conversation/c1/chat/main')).map((u) => Array.from(u))).toEqual([[3]]);
      expect((await store.loadUpdates('conversation/c1/chat/roomAB')).map((u) => Array.from(u))).toEqual([
        [4]
      ]);
      expect(await store.listDocNames('conversation/c1/chat/')).toEqual([
        'conversation/c1/chat/main',
        'conversation/c1/chat/roomAB'
      ]);
      await store.deleteUpdates('conversation/c1/chat/never-stored');
      // A deleted log starts again from nothing.
      expect(await store.appendUpdates('conversation/c1/chat/roomA', [new Uint8Array([9])])).toEqual({
        rowCount: 1
      });
    });
  });
}
