import type { Awareness } from 'y-protocols/awareness';
import { collectPeers, parseEditing, type Editing, type Peer, type PresenceEntry } from '../domain/presence';

/**
 * Presence on the control document (SPEC R95), over the provider's awareness: this tab says what it is
 * working on (`editing`), and reads who else is here. Who someone is (`user`) is stamped by the server
 * from the connection's identity, so this side never sets it and only trusts what came back stamped.
 */
export interface SetupPresence {
  /** What this tab works on now, as last set. */
  readonly editing: Editing | null;
  setEditing(editing: Editing | null): void;
  /** Everyone else present, one entry per user (several tabs are one peer); this client left out. */
  getPeers(): Peer[];
  /** Called after anyone's presence changed; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * Sends this tab's presence again. The server ignores presence from a connection that could not write
   * when it arrived (R95); after a promotion, this shows the new moderator at once instead of at the
   * next periodic renewal.
   */
  announce(): void;
  destroy(): void;
}

function sameEditing(a: Editing | null, b: Editing | null): boolean {
  return a === b || (a !== null && b !== null && a.roomId === b.roomId && a.action === b.action);
}

export function createSetupPresence(awareness: Awareness): SetupPresence {
  const listeners = new Set<() => void>();
  let destroyed = false;
  const onChange = () => {
    for (const listener of listeners) listener();
  };
  awareness.on('change', onChange);

  const readEditing = (): Editing | null => parseEditing(awareness.getLocalState()?.editing);

  return {
    get editing() {
      return readEditing();
    },
    setEditing(editing) {
      // The provider destroys the awareness when the document closes; nothing to say after that.
      if (destroyed || awareness.getLocalState() === null) return;
      if (sameEditing(readEditing(), editing)) return;
      awareness.setLocalStateField(
        'editing',
        editing ? { roomId: editing.roomId, action: editing.action } : null
      );
    },
    getPeers() {
      const entries: PresenceEntry[] = [];
      for (const [clientId, state] of awareness.getStates()) {
        entries.push({ clientId, state, lastUpdated: awareness.meta.get(clientId)?.lastUpdated ?? 0 });
      }
      return collectPeers(entries, awareness.clientID);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    announce() {
      const state = awareness.getLocalState();
      if (!destroyed && state !== null) awareness.setLocalState(state);
    },
    destroy() {
      if (destroyed) return;
      if (awareness.getLocalState() !== null && readEditing() !== null) {
        awareness.setLocalStateField('editing', null);
      }
      destroyed = true;
      listeners.clear();
      awareness.off('change', onChange);
    }
  };
}
