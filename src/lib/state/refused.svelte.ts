import type { SetupExport } from '../domain/setupDiff';

/**
 * Changes to the breakout rooms the server would not apply (SPEC R94), as the page shows them until
 * dismissed: why, what in words, and the refused setup to copy or download. Kept in localStorage per
 * user and conversation, so a reload before the user has saved them does not lose them (the local copy
 * of the document already holds the server's state by then).
 */
export interface RefusedReport {
  conversationId: string;
  /** When it was refused (ms). */
  at: number;
  /** The differences, one sentence each (`setupDiff`); a sentence saying why there are none otherwise. */
  changes: string[];
  /** The refused copy's setup, with names. */
  setup: SetupExport;
  /** The server's copy could not be loaded, so nothing was compared or replaced yet. */
  unresolved?: boolean;
}

export const DEMOTED_SENTENCE =
  'Your changes to the breakout rooms could not be applied: you are no longer a moderator.';
export const REFUSED_SENTENCE =
  'Your changes to the breakout rooms could not be applied: the server accepts no changes to them from you.';

function storageKey(userId: string, conversationId: string): string {
  return `parley:${userId}:refused:${conversationId}`;
}

function getStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function isReport(value: unknown): value is RefusedReport {
  if (!value || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.conversationId === 'string' &&
    typeof r.at === 'number' &&
    Array.isArray(r.changes) &&
    r.changes.every((c) => typeof c === 'string') &&
    !!r.setup &&
    typeof r.setup === 'object'
  );
}

export class RefusedChangesState {
  readonly report: RefusedReport;
  #userId: string;
  #isModerator: () => boolean;
  #ondismiss: () => void;

  constructor({
    report,
    userId,
    isModerator,
    ondismiss = () => {},
    save = true
  }: {
    report: RefusedReport;
    userId: string;
    /** Whether this user is a moderator now (live), which decides the reason given. */
    isModerator: () => boolean;
    ondismiss?: () => void;
    /** Store it for reloads (off when restoring what was stored). */
    save?: boolean;
  }) {
    this.report = report;
    this.#userId = userId;
    this.#isModerator = isModerator;
    this.#ondismiss = ondismiss;
    if (save) {
      try {
        getStorage()?.setItem(storageKey(userId, report.conversationId), JSON.stringify(report));
      } catch {
        // Full or blocked storage: the report stays on the page until it is closed.
      }
    }
  }

  /** The report stored for this user and conversation, if one was not dismissed yet. */
  static restore({
    userId,
    conversationId,
    isModerator,
    ondismiss
  }: {
    userId: string;
    conversationId: string;
    isModerator: () => boolean;
    ondismiss?: () => void;
  }): RefusedChangesState | null {
    try {
      const raw = getStorage()?.getItem(storageKey(userId, conversationId));
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      if (!isReport(parsed) || parsed.conversationId !== conversationId) return null;
      return new RefusedChangesState({ report: parsed, userId, isModerator, ondismiss, save: false });
    } catch {
      return null;
    }
  }

  /** Why, as the first sentence the page shows. */
  get reason(): string {
    return this.#isModerator() ? REFUSED_SENTENCE : DEMOTED_SENTENCE;
  }

  /** Everything as plain text, for "Copy". */
  get text(): string {
    const lines = [this.reason, '', ...this.report.changes.map((c) => `- ${c}`), ''];
    lines.push('Your breakout rooms as you had them:');
    for (const room of this.report.setup.rooms) {
      lines.push(`- ${room.name}: ${room.people.length > 0 ? room.people.join(', ') : 'nobody'}`);
    }
    if (this.report.setup.mainRoom.length > 0)
      lines.push(`- Main room: ${this.report.setup.mainRoom.join(', ')}`);
    return lines.join('\n');
  }

  /** The refused setup and the differences, for "Download (JSON)". */
  get json(): string {
    return JSON.stringify(
      {
        conversationId: this.report.conversationId,
        // eslint-disable-next-line svelte/prefer-svelte-reactivity -- formatted once, never mutated
        refusedAt: new Date(this.report.at).toISOString(),
        reason: this.reason,
        changes: this.report.changes,
        setup: this.report.setup
      },
      null,
      2
    );
  }

  get fileName(): string {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- formatted once, never mutated
    const stamp = new Date(this.report.at).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return `breakout-rooms-not-applied-${stamp}.json`;
  }

  dismiss(): void {
    try {
      getStorage()?.removeItem(storageKey(this.#userId, this.report.conversationId));
    } catch {
      // Nothing stored, or storage gone: nothing to forget.
    }
    this.#ondismiss();
  }
}
