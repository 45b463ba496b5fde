import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  getConversationsKey,
  getRememberedConversations,
  listConversationsOrLastSeen,
  rememberUser,
  UNREACHABLE_MESSAGE
} from './client';
import type { ConversationSummary, User } from './types';
import { memoryStorage } from '../../../tests/helpers/localStorage';

function summary(id: string, title: string): ConversationSummary {
  return { id, title, role: 'owner', memberCount: 1 } as ConversationSummary;
}

const alice = { id: 'alice000', username: 'alice', displayName: 'Alice' } as User;
const bob = { id: 'bob00000', username: 'bob', displayName: 'Bob' } as User;
const unreachable = () => Promise.reject(new ApiError(0, UNREACHABLE_MESSAGE));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('conversations as last seen (R90)', () => {
  it('R90: online the list is remembered for its user; offline that list is shown, marked as such', async () => {
    const storage = memoryStorage();
    const list = [summary('conv0001', 'Workshop')];
    const online = await listConversationsOrLastSeen('alice000', {
      list: async () => list,
      lastUserId: () => 'alice000',
      storage,
      now: 1000
    });
    expect(online).toEqual({ conversations: list, offline: false, savedAt: null });
    expect(storage.getItem(getConversationsKey('alice000'))).not.toBeNull();

    const offline = await listConversationsOrLastSeen('alice000', {
      list: unreachable,
      lastUserId: () => 'alice000',
      storage
    });
    expect(offline).toEqual({ conversations: list, offline: true, savedAt: 1000 });
  });

  it('R90: one user’s list is never shown to another', async () => {
    const storage = memoryStorage();
    await listConversationsOrLastSeen('alice000', {
      list: async () => [summary('conv0001', 'Alice’s')],
      lastUserId: () => 'alice000',
      storage
    });
    await expect(
      listConversationsOrLastSeen('bob00000', { list: unreachable, lastUserId: () => 'bob00000', storage })
    ).rejects.toMatchObject({ status: 0 });
    // A tab still showing alice while bob signed in elsewhere: the answer (bob's, by the cookie) is not
    // stored as alice's.
    await listConversationsOrLastSeen('alice000', {
      list: async () => [summary('conv0002', 'Bob’s')],
      lastUserId: () => 'bob00000',
      storage
    });
    expect(getRememberedConversations('alice000', { storage })?.conversations.map((c) => c.title)).toEqual([
      'Alice’s'
    ]);
  });

  it('R90: only an unreachable server falls back; a refusal is the refusal', async () => {
    const storage = memoryStorage();
    await listConversationsOrLastSeen('alice000', {
      list: async () => [summary('conv0001', 'Workshop')],
      lastUserId: () => 'alice000',
      storage
    });
    await expect(
      listConversationsOrLastSeen('alice000', {
        list: () => Promise.reject(new ApiError(401, 'Sign in first.')),
        lastUserId: () => 'alice000',
        storage
      })
    ).rejects.toMatchObject({ status: 401 });
  });

  it('R9, R90: signing out forgets the list of whoever signs out, and only theirs', () => {
    const storage = memoryStorage();
    vi.stubGlobal('localStorage', storage);
    rememberUser(bob);
    storage.setItem(getConversationsKey('bob00000'), JSON.stringify({ conversations: [], savedAt: 1 }));
    storage.setItem(getConversationsKey('alice000'), JSON.stringify({ conversations: [], savedAt: 1 }));
    rememberUser(null);
    expect(storage.getItem(getConversationsKey('bob00000'))).toBeNull();
    expect(storage.getItem(getConversationsKey('alice000'))).not.toBeNull();
    rememberUser(alice);
    rememberUser(null);
    expect(storage.getItem(getConversationsKey('alice000'))).toBeNull();
  });
});
