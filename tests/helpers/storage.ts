/**
 * A window on the server's storage for integration tests, passed as `wrapPersistence`: counts reads
 * and writes of the update log per document, and can hold them (as a slow or stuck database would)
 * until the test lets them go. Everything else goes straight to the real SQLite store.
 */
import type { Persistence } from '../../server/persistence/types';

type Gate = { matches: (docName: string) => boolean; opened: Promise<void>; open: () => void };

export interface StorageProbe {
  wrap(persistence: Persistence): Persistence;
  /** Loads of this document's update log started so far. */
  loadsOf(docName: string): number;
  /** Appends to this document's update log started so far (finished or held). */
  appendsOf(docName: string): number;
  /** Holds loads of matching documents until the returned function is called. */
  holdLoads(matches: (docName: string) => boolean): () => void;
  /** Holds appends to matching documents' logs until the returned function is called. */
  holdAppends(matches: (docName: string) => boolean): () => void;
}

export function createStorageProbe(): StorageProbe {
  const loads = new Map<string, number>();
  const appends = new Map<string, number>();
  const loadGates: Gate[] = [];
  const appendGates: Gate[] = [];

  function hold(gates: Gate[], matches: (docName: string) => boolean): () => void {
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const gate: Gate = { matches, opened, open };
    gates.push(gate);
    return () => {
      const index = gates.indexOf(gate);
      if (index >= 0) gates.splice(index, 1);
      gate.open();
    };
  }

  const passGates = async (gates: Gate[], docName: string) => {
    for (const gate of gates.filter((g) => g.matches(docName))) await gate.opened;
  };
  const count = (map: Map<string, number>, docName: string) => map.set(docName, (map.get(docName) ?? 0) + 1);

  return {
    wrap(persistence) {
      return new Proxy(persistence, {
        get(target, key) {
          if (key === 'loadUpdates') {
            return async (docName: string) => {
              count(loads, docName);
              await passGates(loadGates, docName);
              return target.loadUpdates(docName);
            };
          }
          if (key === 'appendUpdates') {
            return async (docName: string, updates: Uint8Array[]) => {
              count(appends, docName);
              await passGates(appendGates, docName);
              return target.appendUpdates(docName, updates);
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function'
            ? (value as (...args: unknown[]) => unknown).bind(target)
            : value;
        }
      });
    },
    loadsOf: (docName) => loads.get(docName) ?? 0,
    appendsOf: (docName) => appends.get(docName) ?? 0,
    holdLoads: (matches) => hold(loadGates, matches),
    holdAppends: (matches) => hold(appendGates, matches)
  };
}
