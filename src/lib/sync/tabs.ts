import * as Y from 'yjs';

/**
 * Several tabs of one user in step, also offline (SPEC R93): a BroadcastChannel per user and document
 * relays each tab's updates to the others, and a tab that opens asks the others for what it lacks (a sync
 * step 1/2 over the channel). The channel is named for the user, so two users of one browser never share
 * one (nor a local copy: the IndexedDB databases are per user too, R18).
 *
 * What a tab may hand another decides what the server may later receive from that other tab: a document
 * this user only reads (meta, chat, or control for a non-moderator) is refused with 4403 as soon as its
 * sync answer carries something the server does not have (R12). So:
 *
 * - `all` (a moderator on the control document): every local change is relayed, and tabs exchange
 *   state on open;
 * - `server` (everything else): only updates that came from the server (the provider's) are relayed and
 *   accepted, and no state is exchanged: the server, and the shared IndexedDB copy, are the source.
 *
 * The mode is asked for every message, so a promotion or demotion applies from the next one on.
 */
export type TabSharing = 'all' | 'server';

export type TabMessage =
  | { type: 'update'; from: string; update: Uint8Array; fromServer: boolean }
  | { type: 'ask'; from: string; stateVector: Uint8Array; reply: boolean }
  | { type: 'answer'; from: string; to: string; update: Uint8Array };

/** The part of BroadcastChannel used here, so tests can pass their own. */
export interface TabPort {
  postMessage(message: TabMessage): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

export function getTabChannelName({ userId, docName }: { userId: string; docName: string }): string {
  return `parley:${userId}:${docName}`;
}

export interface TabChannel {
  /** The origin of updates this channel applies (never relayed back). */
  readonly origin: object;
  /** Asks the other tabs for what this one lacks, e.g. once this user turns out to be a moderator. */
  resync(): void;
  close(): void;
}

export interface TabChannelOptions {
  doc: Y.Doc;
  userId: string;
  docName: string;
  /** Whether an update applied with this origin came from the server (the provider's origin). */
  isFromServer: (origin: unknown) => boolean;
  sharing: () => TabSharing;
  /** Defaults to a BroadcastChannel of `getTabChannelName`. */
  open?: (name: string) => TabPort;
}

function newTabId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function isMessage(value: unknown): value is TabMessage {
  if (!value || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  if (typeof m.from !== 'string') return false;
  switch (m.type) {
    case 'update':
      return m.update instanceof Uint8Array && typeof m.fromServer === 'boolean';
    case 'ask':
      return m.stateVector instanceof Uint8Array && typeof m.reply === 'boolean';
    case 'answer':
      return m.update instanceof Uint8Array && typeof m.to === 'string';
    default:
      return false;
  }
}

/**
 * Opens the channel of one document of one user; `null` where there is no BroadcastChannel. Closed with
 * `close()` (also when the document is destroyed).
 */
export function openTabChannel({
  doc,
  userId,
  docName,
  isFromServer,
  sharing,
  open
}: TabChannelOptions): TabChannel | null {
  const name = getTabChannelName({ userId, docName });
  let port: TabPort;
  if (open) port = open(name);
  else if (typeof BroadcastChannel !== 'undefined') port = new BroadcastChannel(name) as unknown as TabPort;
  else return null;

  const id = newTabId();
  const origin = { tabChannel: name };
  let closed = false;

  const post = (message: TabMessage) => {
    if (closed) return;
    try {
      port.postMessage(message);
    } catch {
      // A closed or broken channel: the other tabs still sync through the server and IndexedDB.
    }
  };
  const apply = (update: Uint8Array) => {
    try {
      Y.applyUpdate(doc, update, origin);
    } catch {
      // A malformed update from another tab changes nothing here.
    }
  };
  const ask = (reply: boolean) => {
    if (sharing() !== 'all') return;
    post({ type: 'ask', from: id, stateVector: Y.encodeStateVector(doc), reply });
  };

  const onUpdate = (update: Uint8Array, updateOrigin: unknown) => {
    if (updateOrigin === origin) return;
    const fromServer = isFromServer(updateOrigin);
    if (!fromServer && sharing() !== 'all') return;
    post({ type: 'update', from: id, update, fromServer });
  };
  doc.on('update', onUpdate);

  port.onmessage = (event: MessageEvent) => {
    const message: unknown = event.data;
    if (closed || !isMessage(message) || message.from === id) return;
    switch (message.type) {
      case 'update':
        if (message.fromServer || sharing() === 'all') apply(message.update);
        return;
      case 'ask': {
        if (sharing() !== 'all') return;
        post({
          type: 'answer',
          from: id,
          to: message.from,
          update: Y.encodeStateAsUpdate(doc, message.stateVector)
        });
        // The asker may have something this tab lacks too (a change made while this one was loading).
        if (message.reply) ask(false);
        return;
      }
      case 'answer':
        if (message.to === id && sharing() === 'all') apply(message.update);
        return;
    }
  };

  const close = () => {
    if (closed) return;
    closed = true;
    doc.off('update', onUpdate);
    doc.off('destroy', close);
    port.onmessage = null;
    port.close();
  };
  doc.on('destroy', close);
  ask(true);

  return { origin, resync: () => ask(true), close };
}
