/**
 * The setup history (SPEC R97): every change to a conversation's breakout setup and session, recorded
 * by the server as readable entries in `conversation/<id>/history`, which only the server writes and only
 * moderators read.
 *
 * The hot path stays cheap: while a control document's transaction is applied, its Y events are only
 * turned into plain changes (`watchControlChanges`, the cost of the change itself) and queued with who
 * made them — the connection's signed-in identity or the server write's options, never what a client
 * claims. Describing them (member names from storage, the sentences of src/lib/domain/history.ts) and
 * writing the entries happen afterwards, once the update was applied and fanned out, in batches: one
 * write of the history document per conversation per `batchMs`.
 */
import { randomUUID } from 'node:crypto';
import { getDocName } from '../../src/lib/domain/docs';
import {
  describeControlChanges,
  FORMER_MEMBER,
  getHistoryActor,
  MAX_HISTORY_ENTRIES,
  UNKNOWN_ROOM,
  type HistoryEntry,
  type HistorySource
} from '../../src/lib/domain/history';
import type { ConversationId } from '../../src/lib/domain/ids';
import { appendHistoryEntries, watchControlChanges, type CapturedChanges } from '../../src/lib/sync/history';
import type { Persistence } from '../persistence/types';
import type { SyncServer } from '../sync/types';

export interface HistoryDeps {
  sync: Pick<SyncServer, 'observeControlDocs' | 'writeAsServer' | 'onShutDown'>;
  persistence: Pick<Persistence, 'listMembers'>;
  /** The server's clock: when a change arrived. */
  now: () => number;
  /** Changes that arrive within this delay are written together. Default 200 ms. */
  batchMs?: number;
  /** Entries kept per conversation (the oldest go). Default 2,000. */
  maxEntries?: number;
  onError?: (error: unknown, context: string) => void;
}

export interface History {
  /** Describes and writes every change captured so far; resolves once they are stored. */
  flush(): Promise<void>;
}

type WriteAsServer = SyncServer['writeAsServer'];

interface Captured {
  captured: CapturedChanges;
  source: HistorySource;
  at: number;
}

export function createHistory({
  sync,
  persistence,
  now,
  batchMs = 200,
  maxEntries = MAX_HISTORY_ENTRIES,
  onError = (error, context) => console.error(`[history] ${context}:`, error)
}: HistoryDeps): History {
  const pending = new Map<ConversationId, Captured[]>();
  /** Per conversation: the write under way, so batches are stored in the order they were captured. */
  const writing = new Map<ConversationId, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const stopObserving = sync.observeControlDocs(({ conversationId, doc, sourceOf }) =>
    watchControlChanges(
      doc,
      (captured, transaction) => {
        if (closed) return;
        const source = sourceOf(transaction);
        if (!source) return;
        let queue = pending.get(conversationId);
        if (!queue) pending.set(conversationId, (queue = []));
        queue.push({ captured, source, at: now() });
        schedule();
      },
      (error) => onError(error, `reading a change of ${conversationId}'s breakout setup`)
    )
  );

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, batchMs);
    timer.unref();
  }

  // At shutdown, once no client change can come any more, what is pending is written.
  sync.onShutDown(async (writeNow) => {
    closed = true;
    stopObserving();
    await flush(writeNow);
  });

  function flush(
    writeDoc: WriteAsServer = (docName, change, options) => sync.writeAsServer(docName, change, options)
  ): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const batches = [...pending];
    pending.clear();
    const runs = batches.map(([conversationId, queue]) =>
      inOrder(conversationId, () => write(conversationId, queue, writeDoc))
    );
    // Writes already under way count too: a flush resolves once everything captured before it is stored.
    return Promise.all([...runs, ...writing.values()]).then(() => {});
  }

  function inOrder(conversationId: ConversationId, task: () => Promise<void>): Promise<void> {
    const previous = writing.get(conversationId) ?? Promise.resolve();
    const run = previous
      .then(task)
      .catch((error: unknown) => onError(error, `writing the setup history of ${conversationId}`));
    writing.set(conversationId, run);
    void run.then(() => {
      if (writing.get(conversationId) === run) writing.delete(conversationId);
    });
    return run;
  }

  async function write(
    conversationId: ConversationId,
    queue: Captured[],
    writeDoc: WriteAsServer
  ): Promise<void> {
    const members = await persistence.listMembers(conversationId);
    const names = new Map<string, string>(members.map((m) => [m.userId, m.displayName]));
    const memberName = (userId: string) => names.get(userId) ?? FORMER_MEMBER;
    const entries: HistoryEntry[] = [];
    for (const { captured, source, at } of queue) {
      const actor = getHistoryActor(source);
      const drafts = describeControlChanges({
        changes: captured.changes,
        actor,
        roomName: (roomId) => captured.roomNames[roomId] ?? UNKNOWN_ROOM,
        memberName
      });
      for (const draft of drafts) {
        entries.push({
          id: randomUUID(),
          at,
          actorId: actor.actorId,
          actorName: actor.actorName,
          merged: actor.merged,
          kind: draft.kind,
          text: draft.text
        });
      }
    }
    // Nothing visible changed: nothing is written.
    if (entries.length === 0) return;
    await writeDoc(getDocName({ conversationId, kind: 'history' }), (doc) =>
      appendHistoryEntries(doc, entries, maxEntries)
    );
  }

  return { flush: () => flush() };
}
