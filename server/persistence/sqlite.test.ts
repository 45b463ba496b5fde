import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asConversationId, asMessageId, asUserId } from '../../src/lib/domain/ids';
import { runPersistenceContract } from './persistence.contract';
import { createSqlitePersistence } from './sqlite';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
let fileSeq = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runPersistenceContract('SQLite file', () =>
  createSqlitePersistence({ filename: join(dir, `contract-${++fileSeq}.sqlite`) })
);
runPersistenceContract('SQLite :memory:', () => createSqlitePersistence({ filename: ':memory:' }));

describe('SQLite file specifics', () => {
  it('R24: what was stored is there after closing and reopening the file', async () => {
    const filename = join(dir, 'reopen.sqlite');
    const first = createSqlitePersistence({ filename });
    const alice = await first.createUser({
      id: asUserId('alice_0001'),
      username: 'alice',
      displayName: 'Alice',
      kind: 'account',
      passwordHash: 'h',
      salt: 's',
      createdAt: 1
    });
    const c = await first.createConversation({
      id: asConversationId('conv_0001'),
      title: 'Kickoff',
      ownerId: alice.id,
      createdAt: 2
    });
    await first.appendMessage({
      id: asMessageId('msg_00001'),
      conversationId: c.id,
      room: 'main',
      authorId: alice.id,
      authorName: 'Alice',
      text: 'kept',
      createdAt: 3
    });
    await first.appendUpdates('conversation/conv_0001/control', [new Uint8Array([1, 2, 3])]);
    await first.close();

    // Reopening runs the migration list again; it must be a no-op on an up-to-date file.
    const second = createSqlitePersistence({ filename });
    expect((await second.listMessages(c.id, 'main')).map((m) => m.text)).toEqual(['kept']);
    expect((await second.loadUpdates('conversation/conv_0001/control')).map((u) => Array.from(u))).toEqual([
      [1, 2, 3]
    ]);
    expect((await second.getMembership(c.id, alice.id))?.role).toBe('owner');
    await second.close();
  });

  it('refuses a membership for a conversation that does not exist (foreign keys are on)', async () => {
    const store = createSqlitePersistence({ filename: ':memory:' });
    const bob = await store.createUser({
      id: asUserId('bob_00001'),
      username: 'bob',
      displayName: 'Bob',
      kind: 'account',
      passwordHash: 'h',
      salt: 's',
      createdAt: 1
    });
    await expect(
      store.addMember({
        conversationId: asConversationId('missing_c'),
        userId: bob.id,
        role: 'participant',
        joinedAt: 1
      })
    ).rejects.toThrow(/FOREIGN KEY/);
    await store.close();
  });
});
