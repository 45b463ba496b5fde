import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MalformedMessageError } from './protocol';
import { assertWellFormedUpdate, isKnownUpdate } from './updates';

/** A server replica with two entries, one deleted, and a client replica synced from it. */
function replicas() {
  const server = new Y.Doc();
  const list = server.getArray<string>('list');
  list.push(['a', 'b', 'c']);
  list.delete(1, 1);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { server, client };
}

/** What the stock client sends as its sync answer: its state minus what the server's vector covers. */
const syncAnswer = (client: Y.Doc, server: Y.Doc) =>
  Y.encodeStateAsUpdate(client, Y.encodeStateVector(server));

describe('isKnownUpdate', () => {
  it('R12: an empty sync answer carries nothing new', () => {
    const { server, client } = replicas();
    expect(isKnownUpdate(Y.snapshot(server), syncAnswer(client, server))).toBe(true);
    expect(isKnownUpdate(Y.snapshot(server), Y.encodeStateAsUpdate(new Y.Doc()))).toBe(true);
  });

  it('R12: resending everything the server already has (deletions included) carries nothing new', () => {
    const { server, client } = replicas();
    expect(isKnownUpdate(Y.snapshot(server), Y.encodeStateAsUpdate(client))).toBe(true);
  });

  it('R12: an insertion the server lacks is a change', () => {
    const { server, client } = replicas();
    client.getArray<string>('list').push(['d']);
    expect(isKnownUpdate(Y.snapshot(server), syncAnswer(client, server))).toBe(false);
  });

  it('R12: a deletion of an existing item the server lacks is a change, even with no new structs', () => {
    const { server, client } = replicas();
    client.getArray<string>('list').delete(0, 1);
    const answer = syncAnswer(client, server);
    expect(Y.parseUpdateMeta(answer).to.size).toBe(0);
    expect(isKnownUpdate(Y.snapshot(server), answer)).toBe(false);
  });

  it('R16: a garbled update is reported as malformed', () => {
    const { server, client } = replicas();
    const update = Y.encodeStateAsUpdate(client);
    for (let cut = 1; cut < update.length; cut++) {
      expect(() => isKnownUpdate(Y.snapshot(server), update.subarray(0, cut)), `cut at ${cut}`).toThrow(
        MalformedMessageError
      );
    }
  });
});

describe('assertWellFormedUpdate', () => {
  it('R16: accepts a whole update and refuses one cut short anywhere', () => {
    const doc = new Y.Doc();
    doc.getMap('m').set('k', 'a value long enough to cut');
    doc.getMap('m').delete('k');
    doc.getMap('m').set('j', 1);
    const update = Y.encodeStateAsUpdate(doc);
    expect(() => assertWellFormedUpdate(update)).not.toThrow();
    for (let cut = 1; cut < update.length; cut++) {
      expect(() => assertWellFormedUpdate(update.subarray(0, cut)), `cut at ${cut}`).toThrow(
        MalformedMessageError
      );
    }
  });
});
