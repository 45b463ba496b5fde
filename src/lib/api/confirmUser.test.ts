import { QueryClient } from '@tanstack/svelte-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from './types';
import { memoryStorage } from '../../../tests/helpers/localStorage';

const alice = { id: 'alice000', username: 'alice', displayName: 'Alice' } as User;
const bob = { id: 'bob00000', username: 'bob', displayName: 'Bob' } as User;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The server's answers by path; `null`: the server cannot be reached. */
function serve(answers: Record<string, Response | null>): void {
  vi.stubGlobal('fetch', async (path: string) => {
    const answer = answers[path];
    if (answer === undefined) throw new Error(`unexpected request ${path}`);
    if (answer === null) throw new TypeError('Failed to fetch');
    return answer.clone();
  });
}

/** A fresh copy of the module: who is confirmed is kept per page. */
async function load() {
  vi.resetModules();
  const client = await import('./client');
  const queries = await import('./queries');
  return { ...client, ...queries };
}

const pending = Symbol('pending');
/** What `promise` has settled with by now, or `pending`. */
async function settled<T>(promise: Promise<T>): Promise<T | typeof pending> {
  return Promise.race([promise, new Promise<typeof pending>((r) => setTimeout(() => r(pending), 10))]);
}

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the remembered user until the server answers (R18, R90)', () => {
  it('meQuery shows the remembered user while asking, and nothing when no one is remembered', async () => {
    const { meQuery, rememberUser } = await load();
    expect(meQuery().placeholderData()).toBeUndefined();
    rememberUser(alice);
    expect(meQuery().placeholderData()).toEqual(alice);
  });

  it('R90: nothing waits on the remembered user until the server names them; another answer keeps it waiting', async () => {
    const { api, isUserConfirmed, whenUserConfirmed } = await load();
    localStorage.setItem('parley:lastUser', JSON.stringify(alice));
    const confirmed = whenUserConfirmed(alice.id);
    expect(await settled(confirmed)).toBe(pending);

    serve({ '/api/me': json(200, { user: bob }) });
    await expect(api.getMe()).resolves.toEqual(bob);
    expect(isUserConfirmed(bob.id)).toBe(true);
    expect(await settled(confirmed)).toBe(pending);

    serve({ '/api/me': json(200, { user: alice }) });
    await api.getMe();
    expect(await settled(confirmed)).toBe(true);
    expect(isUserConfirmed(alice.id)).toBe(true);
  });

  it('R90: offline the remembered user stands for the signed-in one; signed out confirms no one', async () => {
    const { api, isUserConfirmed, rememberUser, whenUserConfirmed } = await load();
    rememberUser(alice);
    serve({ '/api/me': null });
    const confirmed = whenUserConfirmed(alice.id);
    await expect(api.getMe()).resolves.toEqual(alice);
    expect(await settled(confirmed)).toBe(true);

    serve({ '/api/me': json(401, { error: 'Sign in first.' }) });
    await expect(api.getMe()).resolves.toBeNull();
    expect(isUserConfirmed(alice.id)).toBe(false);
  });

  it('a wait can be given up (the page went), and then says so', async () => {
    const { whenUserConfirmed } = await load();
    const controller = new AbortController();
    const confirmed = whenUserConfirmed(alice.id, controller.signal);
    controller.abort();
    await expect(confirmed).resolves.toBe(false);
  });

  it('R90: the list of conversations is asked and remembered for the user the server names, not the one shown meanwhile', async () => {
    const { conversationsQuery, getRememberedConversations } = await load();
    localStorage.setItem('parley:lastUser', JSON.stringify(alice));
    const list = [{ id: 'c1', title: 'Bob’s', role: 'owner', memberCount: 1 }];
    serve({ '/api/me': json(200, { user: bob }), '/api/conversations': json(200, { conversations: list }) });

    const client = new QueryClient();
    const result = await client.fetchQuery(conversationsQuery());
    expect(result.conversations).toEqual(list);
    expect(getRememberedConversations(bob.id)?.conversations).toEqual(list);
    expect(getRememberedConversations(alice.id)).toBeNull();
  });
});
