/**
 * Long lists drawn in steps (SPEC R99): a board of a hundred rooms holds a thousand people, and drawing
 * and laying out all their rows before the first paint made opening a conversation take most of a
 * second. The board draws the rows that are on screen (or near it) first, and the rest a step at a time
 * on the following frames, until everything is drawn; from then on every row is drawn at once, as if this
 * class were not there.
 *
 * The rows of all lists count as one sequence, in the order the board shows them (the unassigned list,
 * then each room): a list at `offset` in that sequence shows `shown(offset, count)` of its `count` rows.
 * A list not drawn in full keeps the room it will take, so nothing moves when the rest arrives.
 */
export class RowBudget {
  /** Rows drawn so far, counted from the first row of the first list. */
  #rows = $state(0);
  #started = false;
  #done = $state(false);
  #step: number;
  #schedule: (next: () => void) => () => void;
  #cancel: (() => void) | null = null;
  #total: () => number;

  constructor({
    total,
    step = 150,
    schedule = afterNextPaint
  }: {
    /** All the rows there are now (read again at every step: people come and go meanwhile). */
    total: () => number;
    /** Rows added at each step: about one frame's work on a slow machine. */
    step?: number;
    /** Runs `next` after the coming frame has been painted; returns what cancels it. */
    schedule?: (next: () => void) => () => void;
  }) {
    this.#total = total;
    this.#step = step;
    this.#schedule = schedule;
  }

  /** Every row is drawn (and any new one will be at once). */
  get done(): boolean {
    return this.#done;
  }

  /** Rows drawn so far in board order (every row once `done`). */
  get rows(): number {
    return this.#done ? Infinity : this.#rows;
  }

  /** Whether drawing has begun (`start` was called). */
  get started(): boolean {
    return this.#started;
  }

  /** How many of the `count` rows of the list whose first row is at `offset` are drawn now. */
  shown(offset: number, count: number): number {
    if (this.#done) return count;
    return Math.max(0, Math.min(count, this.#rows - offset));
  }

  /**
   * Draws `rows` rows at once (those on screen), then the rest a step per frame. Only the first call
   * counts: the lists are drawn once, however often the board is measured.
   */
  start(rows: number): void {
    if (this.#started || this.#done) return;
    this.#started = true;
    this.#rows = Math.max(0, rows);
    this.#continue();
  }

  /** Draws everything now: a drag needs every list to drop into, with all its people. */
  revealAll(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#started = true;
    this.#done = true;
  }

  /** Stops the steps still to come (the board goes away). */
  destroy(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  #continue(): void {
    if (this.#rows >= this.#total()) {
      this.#done = true;
      this.#cancel = null;
      return;
    }
    this.#cancel = this.#schedule(() => {
      this.#rows += this.#step;
      this.#continue();
    });
  }
}

/**
 * Runs `next` after the next frame is painted (a task queued from an animation frame callback runs after
 * the paint); returns what cancels it. For work the first paint need not wait for (R99).
 */
export function afterNextPaint(next: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(next, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

/**
 * How many rows the first paint should hold: every list whose top is within `reach` (px from the top of
 * the viewport; e.g. one and a half screens) counts in full, and a list that crosses that line counts with
 * the rows that fit above it. `lists` are in board order, with their top on screen now (px) and their
 * rows; `rowHeight` is one row's height in px.
 */
export function rowsWithin({
  lists,
  reach,
  rowHeight
}: {
  lists: { top: number; count: number }[];
  reach: number;
  rowHeight: number;
}): number {
  let rows = 0;
  for (const list of lists) {
    if (list.top >= reach) break;
    const fit = Math.ceil((reach - list.top) / rowHeight);
    rows += Math.min(list.count, Math.max(0, fit));
    if (fit < list.count) break;
  }
  return rows;
}
