import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { getTabChannelName, openTabChannel, type TabChannel, type TabSharing } from './tabs';

const DOC = 'conversation/abcdefgh1234/control';

/** A tab: its own Y.Doc and channel; `provider` stands for the origin of what the server sent it. */
function openTab({ userId = 'alice000', sharing = 'all' as TabSharing, doc = new Y.Doc() } = {}) {
  const provider = { provider: true };
  const tab = {
    doc,
    provider,
    sharing,
    channel: null as TabChannel | null
  };
  tab.channel = openTabChannel({
    doc,
    userId,
    docName: DOC,
    isFromServer: (origin) => origin === provider,
    sharing: () => tab.sharing
  });
  opened.push(tab);
  return tab;
}

const opened: { channel: TabChannel | null; doc: Y.Doc }[] = [];
afterEach(() => {
  for (const tab of opened.splice(0)) {
    tab.channel?.close();
    tab.doc.destroy();
  }
});

const nameOf = (doc: Y.Doc) => doc.getMap('rooms').get('r1');

type Tab = ReturnType<typeof openTab>;

/** Writes on "the server" (its own client) and hands the change to `tab` as its provider would. */
function fromServer(tab: Tab, change: (server: Y.Doc) => void): void {
  const server = new Y.Doc();
  Y.applyUpdate(server, Y.encodeStateAsUpdate(tab.doc));
  const before = Y.encodeStateVector(server);
  change(server);
  Y.applyUpdate(tab.doc, Y.encodeStateAsUpdate(server, before), tab.provider);
  server.destroy();
}

/**
 * A server update relayed from `a` to `b`: the channel delivers in order, so whatever `a` posted before
 * has been handled by `b` once this arrives.
 */
async function settle(a: Tab, b: Tab): Promise<void> {
  const marker = `m${Math.random()}`;
  fromServer(a, (server) => server.getMap('probe').set(marker, true));
  await vi.waitFor(() => expect(b.doc.getMap('probe').get(marker)).toBe(true));
}

describe('tab channel (R93)', () => {
  it('R93: is named for the user and the document', () => {
    expect(getTabChannelName({ userId: 'alice000', docName: DOC })).toBe(`parley:alice000:${DOC}`);
  });

  it('R93: a change in one tab shows in the other, and is not echoed back', async () => {
    const a = openTab();
    const b = openTab();
    const seenByA: unknown[] = [];
    a.doc.on('update', (_u: Uint8Array, origin: unknown) => seenByA.push(origin));
    a.doc.getMap('rooms').set('r1', 'Garden');
    await vi.waitFor(() => expect(nameOf(b.doc)).toBe('Garden'));
    b.doc.getMap('rooms').set('r1', 'Orchard');
    await vi.waitFor(() => expect(nameOf(a.doc)).toBe('Orchard'));
    await settle(b, a);
    // a's own change, b's change, the probe: nothing of a's came back to it.
    expect(seenByA).toHaveLength(3);
    expect(nameOf(b.doc)).toBe('Orchard');
  });

  it('R93: a tab that opens gets what the open tabs have, and gives them what it has', async () => {
    const a = openTab();
    a.doc.getMap('rooms').set('r1', 'Garden');
    const early = new Y.Doc();
    early.getMap('rooms').set('r2', 'Kitchen');
    const b = openTab({ doc: early });
    await vi.waitFor(() => expect(nameOf(b.doc)).toBe('Garden'));
    await vi.waitFor(() => expect(a.doc.getMap('rooms').get('r2')).toBe('Kitchen'));
  });

  it('R12, R93: read-only tabs relay only what came from the server, and accept nothing else', async () => {
    const a = openTab({ sharing: 'server' });
    const b = openTab({ sharing: 'server' });
    a.doc.getMap('rooms').set('r1', 'Local only');
    fromServer(a, (server) => server.getMap('rooms').set('r2', 'From the server'));
    await vi.waitFor(() => expect(b.doc.getMap('rooms').get('r2')).toBe('From the server'));
    await settle(a, b);
    expect(nameOf(b.doc)).toBeUndefined();

    // A tab that still believes it may write (its member list is behind) cannot hand its changes to a
    // tab that knows better.
    const stale = openTab({ sharing: 'all' });
    stale.doc.getMap('rooms').set('r3', 'Stale moderator');
    await settle(stale, b);
    expect(b.doc.getMap('rooms').get('r3')).toBeUndefined();
    // Nor does a read-only tab answer with its state when asked.
    expect(stale.doc.getMap('rooms').get('r2')).toBeUndefined();
  });

  it('R93: a promotion lets the tab exchange state from then on', async () => {
    const a = openTab({ sharing: 'all' });
    a.doc.getMap('rooms').set('r1', 'Garden');
    const b = openTab({ sharing: 'server' });
    await settle(a, b);
    expect(nameOf(b.doc)).toBeUndefined();
    b.sharing = 'all';
    b.channel?.resync();
    await vi.waitFor(() => expect(nameOf(b.doc)).toBe('Garden'));
  });

  it('R90, R93: two users of one browser never share a channel', async () => {
    const alice = openTab({ userId: 'alice000' });
    const bob = openTab({ userId: 'bob00000' });
    const alice2 = openTab({ userId: 'alice000' });
    alice.doc.getMap('rooms').set('r1', 'Alice’s');
    await vi.waitFor(() => expect(nameOf(alice2.doc)).toBe('Alice’s'));
    await settle(alice, alice2);
    expect(nameOf(bob.doc)).toBeUndefined();
  });

  it('R93: a closed channel relays nothing more', async () => {
    const a = openTab();
    const b = openTab();
    const c = openTab();
    a.channel?.close();
    a.doc.getMap('rooms').set('r1', 'Not sent');
    b.doc.getMap('rooms').set('r2', 'Not received');
    await settle(b, c);
    expect(nameOf(b.doc)).toBeUndefined();
    expect(a.doc.getMap('rooms').get('r2')).toBeUndefined();
  });
});
