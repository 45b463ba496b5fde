import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { api, ApiError, UNREACHABLE_MESSAGE } from '../api/client';
import { asRoomId, asUserId, type RoomId } from '../domain/ids';
import { assignParticipants, createRooms, startSession } from '../sync/control';
import type { MetaMember } from '../sync/schema';
import { BreakoutSetupState } from './breakout.svelte';
import { SessionState } from './session.svelte';

function member(userId: string, displayName: string, role: MetaMember['role']): MetaMember {
  return { userId, displayName, username: userId, kind: 'account', role, joinedAt: 0 };
}

const members = [member('alice000', 'Alice', 'owner'), member('bob00000', 'Bob', 'participant')];
const T0 = 1_700_000_000_000;

/** Bob, a participant, in a running session in "Allow participants to choose" mode. */
function openAsBob({ offline }: { offline: boolean }) {
  const doc = new Y.Doc();
  const created = createRooms(doc, { count: 2, mode: 'choose' }) as { ok: true; value: RoomId[] };
  assignParticipants(doc, {
    userIds: [asUserId('bob00000')],
    roomId: created.value[0],
    participants: new Set([asUserId('bob00000')]),
    now: T0
  });
  startSession(doc, { timerMinutes: null, moveAutomatically: true, allowReturn: true, now: T0 });
  const breakout = new BreakoutSetupState({ doc, userId: 'bob00000', getMembers: () => members });
  const session = new SessionState({
    doc,
    userId: 'bob00000',
    conversationId: 'conv0001',
    breakout,
    isModerator: () => false,
    clock: () => T0 + 1000,
    offline
  });
  return { session, rooms: created.value };
}

function spyOnIntents() {
  return {
    chooseRoom: vi.spyOn(api, 'chooseRoom').mockResolvedValue(undefined),
    requestHelp: vi.spyOn(api, 'requestHelp').mockResolvedValue(undefined),
    withdrawHelp: vi.spyOn(api, 'withdrawHelp').mockResolvedValue(undefined),
    returnToMain: vi.spyOn(api, 'returnToMain').mockResolvedValue(undefined),
    rejoinRoom: vi.spyOn(api, 'rejoinRoom').mockResolvedValue(undefined)
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('participant intents offline (R92)', () => {
  it('R92: each live-only intent is refused at once offline, with a sentence, and nothing is sent', async () => {
    const spies = spyOnIntents();
    const { session, rooms } = openAsBob({ offline: true });
    const cases: [() => Promise<boolean>, string][] = [
      [() => session.choose(rooms[1]), 'Choosing a room'],
      [() => session.requestHelp(), 'Asking for help'],
      [() => session.withdrawHelp(), 'Withdrawing a help request'],
      [() => session.returnToMain(), 'Going back to the main room'],
      [() => session.rejoin(), 'Returning to your room']
    ];
    for (const [intent, action] of cases) {
      expect(await intent()).toBe(false);
      expect(session.error).toBe(
        `You are offline. ${action} needs a connection to the server; try again when you are back online.`
      );
      expect(session.busy).toBe(false);
    }
    // Back online: nothing was queued, so nothing goes out by itself.
    session.setOffline(false);
    await Promise.resolve();
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
    session.destroy();
  });

  it('R92: the browser saying it is offline is enough, whatever the page was told', async () => {
    const spies = spyOnIntents();
    vi.stubGlobal('navigator', { onLine: false });
    const { session } = openAsBob({ offline: false });
    expect(await session.requestHelp()).toBe(false);
    expect(session.error).toMatch(/^You are offline\. Asking for help needs a connection/);
    expect(spies.requestHelp).not.toHaveBeenCalled();
    session.destroy();
  });

  it('R77, R92: online the intent is sent once; an unreachable server is told the same way', async () => {
    const spies = spyOnIntents();
    const { session, rooms } = openAsBob({ offline: false });
    expect(await session.choose(rooms[1])).toBe(true);
    expect(spies.chooseRoom).toHaveBeenCalledTimes(1);
    expect(spies.chooseRoom).toHaveBeenCalledWith('conv0001', asRoomId(rooms[1]));
    expect(session.error).toBeNull();

    spies.requestHelp.mockRejectedValueOnce(new ApiError(0, UNREACHABLE_MESSAGE));
    expect(await session.requestHelp()).toBe(false);
    expect(session.error).toBe(
      'Cannot reach the server. Asking for help needs a connection to the server; try again when you are back online.'
    );
    expect(spies.requestHelp).toHaveBeenCalledTimes(1);

    // A refusal by the server keeps its own sentence (R77).
    spies.withdrawHelp.mockRejectedValueOnce(new ApiError(409, 'You have no help request to withdraw.'));
    expect(await session.withdrawHelp()).toBe(false);
    expect(session.error).toBe('You have no help request to withdraw.');
    session.destroy();
  });
});
