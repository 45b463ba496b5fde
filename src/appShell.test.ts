import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { getDocName } from './lib/domain/docs';
import { asConversationId } from './lib/domain/ids';
import { getLocalDbName } from './lib/sync/openDoc';

/** The app shell's script that opens a conversation's local copies before the app's script is in (R99). */
const shell = readFileSync(new URL('./app.html', import.meta.url), 'utf8');
const script = [...shell.matchAll(/<script>([\s\S]*?)<\/script>/g)]
  .map((match) => match[1])
  .find((code) => code.includes('parley:lastUser'));

const CONVERSATION = 'conv0000abcd';
const USER = { id: 'alice000', username: 'alice', displayName: 'Alice' };

/** The databases openDoc opens for a conversation page: meta, main chat, control (SPEC R18). */
function pageDatabases(userId: string, conversationId: string): string[] {
  const id = asConversationId(conversationId);
  return (['meta', 'chat', 'control'] as const).map((kind) =>
    getLocalDbName({ userId, docName: getDocName({ conversationId: id, kind }) })
  );
}

/** Runs the shell's script as a page at `pathname` would, with this storage and IndexedDB. */
function runShellScript({
  pathname,
  remembered,
  factory = new IDBFactory()
}: {
  pathname: string;
  remembered: unknown;
  factory?: IDBFactory;
}): { opened: string[]; factory: IDBFactory } {
  if (!script) throw new Error('src/app.html has no script that opens the local copies');
  const opened: string[] = [];
  const indexedDB = {
    open: (name: string) => {
      opened.push(name);
      return factory.open(name);
    }
  };
  const localStorage = {
    getItem: (key: string) => (key === 'parley:lastUser' && remembered ? JSON.stringify(remembered) : null)
  };
  new Function('localStorage', 'location', 'indexedDB', script)(localStorage, { pathname }, indexedDB);
  return { opened, factory };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const [META] = pageDatabases(USER.id, CONVERSATION);

/** Runs `use` with `factory` as the page's IndexedDB (y-indexeddb reads the global). */
async function withIndexedDb(factory: IDBFactory, use: () => Promise<void>): Promise<void> {
  vi.stubGlobal('indexedDB', factory);
  try {
    await use();
  } finally {
    vi.unstubAllGlobals();
  }
}

/** y-indexeddb stores a meta document with this title, as a visit would. */
async function storeTitle(name: string, title: string): Promise<void> {
  const doc = new Y.Doc();
  const local = new IndexeddbPersistence(name, doc);
  await local.whenSynced;
  doc.getMap('info').set('title', title);
  await settle();
  await local.destroy();
}

/** y-indexeddb opens the stored copy again: its title, and the persistence to go on with. */
async function openCopy(name: string): Promise<{ title: unknown; local: IndexeddbPersistence }> {
  const doc = new Y.Doc();
  const local = new IndexeddbPersistence(name, doc);
  await local.whenSynced;
  return { title: doc.getMap('info').get('title'), local };
}

describe('the app shell opens a conversation’s local copies early (R99)', () => {
  it('opens exactly the databases openDoc uses, on the conversation page and its settings', () => {
    for (const pathname of [`/c/${CONVERSATION}`, `/c/${CONVERSATION}/settings`]) {
      const { opened } = runShellScript({ pathname, remembered: USER });
      expect(opened).toEqual(pageDatabases(USER.id, CONVERSATION));
    }
  });

  it('opens nothing without a remembered user, away from a conversation, or for a malformed address', () => {
    expect(runShellScript({ pathname: `/c/${CONVERSATION}`, remembered: null }).opened).toEqual([]);
    expect(runShellScript({ pathname: '/', remembered: USER }).opened).toEqual([]);
    expect(runShellScript({ pathname: '/c/short', remembered: USER }).opened).toEqual([]);
    expect(runShellScript({ pathname: `/c/${CONVERSATION}`, remembered: { name: 'no id' } }).opened).toEqual(
      []
    );
  });

  it('never creates a database: a first visit leaves the creating to y-indexeddb, which then works', async () => {
    const { factory } = runShellScript({ pathname: `/c/${CONVERSATION}`, remembered: USER });
    await settle();
    expect(await factory.databases()).toEqual([]);

    // y-indexeddb creates the database with its stores and stores what it is given.
    await withIndexedDb(factory, async () => {
      await storeTitle(META, 'Workshop');
      const copy = await openCopy(META);
      expect(copy.title).toBe('Workshop');
      await copy.local.destroy();
    });
  });

  it('keeps an existing copy as it is, and lets go of it when it is to be deleted', async () => {
    const factory = new IDBFactory();
    await withIndexedDb(factory, async () => {
      await storeTitle(META, 'Workshop');
      runShellScript({ pathname: `/c/${CONVERSATION}`, remembered: USER, factory });
      await settle();
      const copy = await openCopy(META);
      expect(copy.title).toBe('Workshop');
      // A copy the server refused is deleted (openDoc's reset): the shell's connection does not block it.
      await copy.local.clearData();
      // (y-indexeddb does not wait for the deletion itself.)
      await settle();
      expect((await factory.databases()).map((d) => d.name)).not.toContain(META);
    });
  });
});
