/**
 * The server as trusted writer of the meta and chat documents: its writes are stored before anyone is
 * told they happened (R60), shutdown refuses rather than loses them (R60), and the meta document is
 * repaired by repeating the request that should have written it (R61).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getDocName } from '../../src/lib/domain/docs';
import { asConversationId } from '../../src/lib/domain/ids';
import { readChatMessages, readMembers, writeMember } from '../../src/lib/sync/schema';
import { api, joinAsAccount, createInvite, newMessageId, waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { createStorageProbe } from '../helpers/storage';
import { castConversation, readStoredDoc } from './syncFixture';

let server: TestServer;

afterEach(async () => {
  await server?.cleanup();
});

const mainChatOf = (conversationId: string) =>
  getDocName({ conversationId: asConversationId(conversationId), kind: 'chat', room: 'main' });

describe('server writes', () => {
  it('R60: a server write resolves only once its change is in the stored update log', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    await server.sync.writeAsServer(cast.metaDoc, (doc) =>
      doc.getMap('conversation').set('title', 'Renamed')
    );
    // Read at once, with no wait of any kind: the write must already be stored.
    const stored = await readStoredDoc(server, cast.metaDoc);
    expect(stored.doc.getMap('conversation').get('title')).toBe('Renamed');
  });

  it('R60: a write storage refuses is not acknowledged; the retry of the post stores the message once', async () => {
    const probe = createStorageProbe();
    let failAppends = false;
    server = await startTestServer({
      wrapPersistence: (persistence) => {
        const watched = probe.wrap(persistence);
        return new Proxy(watched, {
          get(target, key) {
            if (key === 'appendUpdates' && failAppends) {
              return async () => {
                throw new Error('disk full');
              };
            }
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          }
        });
      }
    });
    const cast = await castConversation(server);
    const id = newMessageId();
    const post = () =>
      api(server.url, `/api/conversations/${cast.conversationId}/messages`, {
        method: 'POST',
        cookie: cast.bob.cookie,
        body: { id, text: 'stored for sure' }
      });
    failAppends = true;
    expect((await post()).status).toBe(500);
    failAppends = false;
    expect((await post()).status).toBe(200);
    const stored = await readStoredDoc(server, mainChatOf(cast.conversationId));
    expect(readChatMessages(stored.doc).map((m) => m.id)).toEqual([id]);
  });

  it('R60: a chat post whose document is still loading when shutdown begins answers 503; its retry after the restart stores it once', async () => {
    const probe = createStorageProbe();
    server = await startTestServer({ wrapPersistence: probe.wrap });
    const cast = await castConversation(server);
    const chatDoc = mainChatOf(cast.conversationId);
    const release = probe.holdLoads((name) => name === chatDoc);
    const id = newMessageId();
    const post = () =>
      api(server.url, `/api/conversations/${cast.conversationId}/messages`, {
        method: 'POST',
        cookie: cast.bob.cookie,
        body: { id, text: 'during shutdown' }
      });
    const first = post();
    await waitFor(() => probe.loadsOf(chatDoc) > 0, { what: 'the chat document loading' });
    const closing = server.server.close();
    release();
    const answer = await first;
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/restarting/);
    await closing;

    await server.restart();
    const retry = await post();
    expect(retry.status).toBe(200);
    const stored = await readStoredDoc(server, chatDoc);
    expect(readChatMessages(stored.doc).map((m) => m.text)).toEqual(['during shutdown']);
  });

  it('R61: joining again brings back a member entry missing from the meta document', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    await server.sync.writeAsServer(cast.metaDoc, (doc) => doc.getMap('members').delete(cast.bob.user.id));
    const broken = await readStoredDoc(server, cast.metaDoc);
    expect(readMembers(broken.doc).map((m) => m.userId)).not.toContain(cast.bob.user.id);

    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    expect((await joinAsAccount(server.url, cast.bob.cookie, invite.token)).role).toBe('participant');
    const healed = await readStoredDoc(server, cast.metaDoc);
    expect(readMembers(healed.doc).find((m) => m.userId === cast.bob.user.id)).toMatchObject({
      role: 'participant',
      displayName: 'Bob'
    });

    // Joining once more with the entry intact writes nothing.
    const before = Y.encodeStateVector(healed.doc);
    await joinAsAccount(server.url, cast.bob.cookie, invite.token);
    expect(Y.encodeStateVector((await readStoredDoc(server, cast.metaDoc)).doc)).toEqual(before);
  });

  it('R61: asking for the role a member already has repairs a meta entry that shows another role', async () => {
    server = await startTestServer();
    const cast = await castConversation(server);
    const carolEntry = readMembers((await readStoredDoc(server, cast.metaDoc)).doc).find(
      (m) => m.userId === cast.carol.user.id
    )!;
    await server.sync.writeAsServer(cast.metaDoc, (doc) =>
      writeMember(doc, { ...carolEntry, role: 'moderator' })
    );

    const answer = await api(
      server.url,
      `/api/conversations/${cast.conversationId}/members/${cast.carol.user.id}/role`,
      { method: 'PUT', cookie: cast.alice.cookie, body: { role: 'participant' } }
    );
    expect(answer.status).toBe(409);
    const healed = await readStoredDoc(server, cast.metaDoc);
    expect(readMembers(healed.doc).find((m) => m.userId === cast.carol.user.id)?.role).toBe('participant');
  });
});
