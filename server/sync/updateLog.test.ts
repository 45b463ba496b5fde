import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqlitePersistence } from '../persistence/sqlite';
import type { Persistence } from '../persistence/types';
import { UpdateLog } from './updateLog';

const DOC = 'conversation/abcdefgh12/control';
const opened: Persistence[] = [];

afterEach(async () => {
  for (const p of opened.splice(0)) await p.close();
});

/**
 * The real SQLite persistence (in memory), observed: counts the batches it is handed and, while
 * `failing` is set, refuses them as a full disk would.
 */
function observedPersistence() {
  const real = createSqlitePersistence({ filename: ':memory:' });
  opened.push(real);
  const seen = { batches: [] as number[], compactions: 0, failing: false };
  const persistence = new Proxy(real, {
    get(target, key) {
      if (key === 'appendUpdates') {
        return async (name: string, updates: Uint8Array[]) => {
          if (seen.failing) throw new Error('disk full');
          seen.batches.push(updates.length);
          return target.appendUpdates(name, updates);
        };
      }
      if (key === 'replaceUpdates') {
        return async (name: string, merged: Uint8Array) => {
          seen.compactions++;
          return target.replaceUpdates(name, merged);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    }
  });
  return { persistence, seen };
}

/** A document whose every update is pushed to a log, like a loaded SharedDoc's. */
function loggedDoc(persistence: Persistence, compactAfterRows = 300) {
  const doc = new Y.Doc();
  const errors: string[] = [];
  const log = new UpdateLog({
    docName: DOC,
    persistence,
    compactAfterRows,
    encodeState: () => Y.encodeStateAsUpdate(doc),
    onError: (_error, context) => errors.push(context)
  });
  doc.on('update', (update: Uint8Array) => log.push(update));
  return { doc, log, errors };
}

async function storedMap(persistence: Persistence) {
  const doc = new Y.Doc();
  for (const row of await persistence.loadUpdates(DOC)) Y.applyUpdate(doc, row);
  return doc.getMap('m').toJSON();
}

describe('UpdateLog', () => {
  it('R17: updates accepted in one turn are stored later, together, in one batch', async () => {
    const { persistence, seen } = observedPersistence();
    const { doc, log } = loggedDoc(persistence);
    for (let i = 0; i < 10; i++) doc.getMap('m').set(`k${i}`, i);
    // Nothing is written synchronously: storage stays off the fan-out path.
    expect(seen.batches).toEqual([]);
    expect(log.pendingCount).toBe(10);
    await log.flush();
    expect(seen.batches).toEqual([10]);
    expect(await storedMap(persistence)).toEqual(
      Object.fromEntries([...Array(10).keys()].map((i) => [`k${i}`, i]))
    );
  });

  it('R17: a batch storage refused is kept and stored by the next flush, in order', async () => {
    const { persistence, seen } = observedPersistence();
    const { doc, log, errors } = loggedDoc(persistence);
    seen.failing = true;
    doc.getMap('m').set('a', 1);
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(log.pendingCount).toBe(1);
    seen.failing = false;
    doc.getMap('m').set('a', 2);
    await log.flush();
    expect(log.pendingCount).toBe(0);
    expect(seen.batches).toEqual([2]);
    expect(await storedMap(persistence)).toEqual({ a: 2 });
  });

  it('R17: past the threshold the log is replaced by one update holding the whole document', async () => {
    const { persistence, seen } = observedPersistence();
    const { doc, log } = loggedDoc(persistence, 5);
    for (let i = 0; i < 8; i++) {
      doc.getMap('m').set('counter', i);
      doc.getMap('m').set(`k${i % 3}`, i);
      await log.flush();
    }
    expect(seen.compactions).toBeGreaterThan(0);
    expect((await persistence.loadUpdates(DOC)).length).toBeLessThanOrEqual(5);
    expect(await storedMap(persistence)).toEqual(doc.getMap('m').toJSON());
  });

  it('R50: discard drops what is pending, waits for a batch already on its way, and ignores later pushes', async () => {
    const { persistence, seen } = observedPersistence();
    const { doc, log } = loggedDoc(persistence);
    doc.getMap('m').set('stored', 1);
    const inFlight = log.flush();
    // Handed to storage within a few microtasks; bounded so a regression fails instead of hanging.
    for (let i = 0; i < 100 && seen.batches.length === 0; i++) await Promise.resolve();
    expect(seen.batches).toEqual([1]);
    doc.getMap('m').set('pending', 2);
    await log.discard();
    await inFlight;
    expect(seen.batches).toEqual([1]);
    expect(log.pendingCount).toBe(0);
    doc.getMap('m').set('late', 3);
    expect(log.pendingCount).toBe(0);
    await log.flush();
    expect(seen.batches).toEqual([1]);
    expect(await storedMap(persistence)).toEqual({ stored: 1 });
  });

  it('R50: a batch refused while the log is discarded is not put back', async () => {
    const { persistence, seen } = observedPersistence();
    const { doc, log } = loggedDoc(persistence);
    seen.failing = true;
    doc.getMap('m').set('a', 1);
    const failing = log.flush();
    const discarded = log.discard();
    await Promise.all([failing, discarded]);
    seen.failing = false;
    await log.flush();
    expect(log.pendingCount).toBe(0);
    expect(seen.batches).toEqual([]);
  });
});
