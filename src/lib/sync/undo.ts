import * as Y from 'yjs';
import { SetupCommand, type SetupCommandName } from './control';

/**
 * "Undo" and "Redo" of one's own setup changes (SPEC R96), over a Y.UndoManager:
 *
 * - scoped to the setup maps (`rooms`, `assignments`, `settings`); the session, help requests and
 *   "back to main room" marks are never touched, so session commands and help dismissals are not undone;
 * - tracking only this replica's `SetupCommand` transactions (the class is the tracked origin), so changes
 *   that arrive from the server (the provider is their origin), from IndexedDB or from other tabs never are;
 * - one command is one step (`captureTimeout: 0`), and one undo reverts exactly one step;
 * - Yjs never overwrites a value someone else wrote since: undoing a rename a co-moderator has since
 *   overwritten leaves their name.
 */
export interface SetupUndo {
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /**
   * Reverts this tab's newest setup command still on the stack. `false` when there was none, or when
   * everything it did has since been changed by someone else (the step is used up; nothing changes).
   */
  undo(): boolean;
  /** Applies the newest undone step again; `false` when there was none or it no longer changes anything. */
  redo(): boolean;
  /** Runs `change` (several commands) so that it is undone in one step. */
  asOneStep<T>(change: () => T): T;
  /** Forgets every step (after the setup was deleted, R50). */
  clear(): void;
  /** Called after `canUndo` or `canRedo` may have changed; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  destroy(): void;
}

/** Setup commands that can be undone; the others (clearing the setup, session and help) are not tracked. */
const UNDOABLE: ReadonlySet<SetupCommandName> = new Set<SetupCommandName>([
  'createRooms',
  'addRoom',
  'renameRoom',
  'removeRoom',
  'setMode',
  'setSeatCap',
  'assign',
  'autoAssign'
]);

export function createSetupUndo(doc: Y.Doc): SetupUndo {
  const rooms = doc.getMap('rooms');
  const manager = new Y.UndoManager([rooms, doc.getMap('assignments'), doc.getMap('settings')], {
    captureTimeout: 0,
    trackedOrigins: new Set([SetupCommand]),
    captureTransaction: (transaction) => {
      const origin = transaction.origin;
      // The manager's own undo and redo transactions are tracked too (that is how redo works).
      return !(origin instanceof SetupCommand) || UNDOABLE.has(origin.name);
    }
  });

  const listeners = new Set<() => void>();
  let busy = false;
  const notify = () => {
    if (busy) return;
    for (const listener of listeners) listener();
  };
  manager.on('stack-item-added', notify);
  manager.on('stack-item-popped', notify);
  manager.on('stack-cleared', notify);

  // The setup was deleted elsewhere (R50, or every room removed by others): steps that would bring
  // back rooms nobody wants any more are forgotten.
  const onRooms = (_event: Y.YMapEvent<unknown>, transaction: Y.Transaction) => {
    if (rooms.size === 0 && !transaction.local) manager.clear();
  };
  rooms.observe(onRooms);

  /**
   * Pops exactly one step. Y.UndoManager keeps popping until a step changes something, which would
   * revert an older command when the newest was overwritten by a co-moderator: the older steps are set
   * aside meanwhile.
   */
  const popOne = (stack: 'undoStack' | 'redoStack', pop: () => Y.UndoManager['currStackItem']) => {
    const items = manager[stack];
    if (items.length === 0) return false;
    const older = items.splice(0, items.length - 1);
    busy = true;
    let changed: boolean;
    try {
      changed = pop() !== null;
    } finally {
      manager[stack].unshift(...older);
      busy = false;
    }
    notify();
    return changed;
  };

  return {
    get canUndo() {
      return manager.canUndo();
    },
    get canRedo() {
      return manager.canRedo();
    },
    undo: () => popOne('undoStack', () => manager.undo()),
    redo: () => popOne('redoStack', () => manager.redo()),
    asOneStep(change) {
      const timeout = manager.captureTimeout;
      manager.stopCapturing();
      manager.captureTimeout = Number.MAX_SAFE_INTEGER;
      try {
        return change();
      } finally {
        manager.captureTimeout = timeout;
        manager.stopCapturing();
      }
    },
    clear() {
      manager.clear();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    destroy() {
      listeners.clear();
      rooms.unobserve(onRooms);
      manager.destroy();
    }
  };
}
