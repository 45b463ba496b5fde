import { describe, expect, it } from 'vitest';
import { RowBudget, rowsWithin } from './rowBudget.svelte';

/** A schedule run by hand: each `frame()` runs what was scheduled for after the last paint. */
function manualFrames() {
  let pending: (() => void) | null = null;
  let cancelled = 0;
  return {
    schedule(next: () => void) {
      pending = next;
      return () => {
        if (pending === next) pending = null;
        cancelled++;
      };
    },
    frame() {
      const next = pending;
      pending = null;
      next?.();
    },
    get pending() {
      return pending !== null;
    },
    get cancelled() {
      return cancelled;
    }
  };
}

describe('RowBudget (R99)', () => {
  it('draws nothing before it starts, then the first rows at once, in board order across the lists', () => {
    const frames = manualFrames();
    const budget = new RowBudget({ total: () => 40, step: 10, schedule: frames.schedule });
    expect(budget.shown(0, 10)).toBe(0);
    expect(budget.started).toBe(false);

    budget.start(25);
    expect(budget.started).toBe(true);
    expect(budget.done).toBe(false);
    // Lists of 10 rows each, one after the other: the first two in full, half the third, none of the fourth.
    expect([0, 10, 20, 30].map((offset) => budget.shown(offset, 10))).toEqual([10, 10, 5, 0]);
    // An empty list shows its (zero) rows whatever the budget.
    expect(budget.shown(30, 0)).toBe(0);
  });

  it('adds a step of rows each frame until every row is drawn, and then draws new rows at once', () => {
    const frames = manualFrames();
    let total = 40;
    const budget = new RowBudget({ total: () => total, step: 10, schedule: frames.schedule });
    budget.start(15);
    expect(frames.pending).toBe(true);

    frames.frame();
    expect(budget.shown(20, 10)).toBe(5);
    frames.frame();
    expect(budget.shown(30, 10)).toBe(5);
    // Someone joined meanwhile: the steps go on until they are drawn too.
    total = 46;
    frames.frame();
    expect(budget.done).toBe(false);
    expect(budget.shown(40, 6)).toBe(5);
    frames.frame();
    expect(budget.done).toBe(true);
    expect(frames.pending).toBe(false);
    // Done: a list far beyond what was counted (a room added later, a long list) shows in full.
    expect(budget.shown(500, 30)).toBe(30);
  });

  it('is done at once when the first rows are all there are', () => {
    const frames = manualFrames();
    const budget = new RowBudget({ total: () => 12, step: 10, schedule: frames.schedule });
    budget.start(12);
    expect(budget.done).toBe(true);
    expect(frames.pending).toBe(false);
    expect(budget.shown(0, 12)).toBe(12);
  });

  it('counts only the first start: measuring again does not draw rows a second time', () => {
    const frames = manualFrames();
    const budget = new RowBudget({ total: () => 100, step: 10, schedule: frames.schedule });
    budget.start(20);
    budget.start(90);
    expect(budget.shown(0, 100)).toBe(20);
    budget.start(-5);
    expect(budget.shown(0, 100)).toBe(20);
  });

  it('draws everything at once for a drag, and cancels the step that was coming', () => {
    const frames = manualFrames();
    const budget = new RowBudget({ total: () => 1000, step: 10, schedule: frames.schedule });
    budget.start(10);
    budget.revealAll();
    expect(frames.cancelled).toBe(1);
    expect(frames.pending).toBe(false);
    expect(budget.done).toBe(true);
    expect(budget.shown(990, 10)).toBe(10);
  });

  it('draws everything for a drag that starts before the first measurement', () => {
    const budget = new RowBudget({ total: () => 1000, schedule: manualFrames().schedule });
    budget.revealAll();
    expect(budget.started).toBe(true);
    expect(budget.shown(0, 1000)).toBe(1000);
    budget.start(10);
    expect(budget.shown(0, 1000)).toBe(1000);
  });

  it('stops its steps when the board goes away', () => {
    const frames = manualFrames();
    const budget = new RowBudget({ total: () => 100, step: 10, schedule: frames.schedule });
    budget.start(10);
    budget.destroy();
    expect(frames.pending).toBe(false);
    expect(budget.shown(0, 100)).toBe(10);
  });
});

describe('rowsWithin (R99)', () => {
  const rowHeight = 40;

  it('counts the lists whose top is within reach, and of the one crossing the line the rows above it', () => {
    const lists = [
      { top: 100, count: 0 },
      { top: 200, count: 10 },
      { top: 700, count: 10 },
      { top: 1200, count: 10 }
    ];
    // Reach 1,000 px: the second list in full; the third starts at 700, so 300 px fit: 8 rows (rounded up).
    expect(rowsWithin({ lists, reach: 1000, rowHeight })).toBe(18);
    expect(rowsWithin({ lists, reach: 2000, rowHeight })).toBe(30);
  });

  it('counts nothing when the board is below the reach (the page opens scrolled to the top)', () => {
    const lists = [
      { top: 1500, count: 10 },
      { top: 1900, count: 10 }
    ];
    expect(rowsWithin({ lists, reach: 1080, rowHeight })).toBe(0);
  });

  it('counts lists above the viewport (the page restored a scroll position) as drawn first', () => {
    const lists = [
      { top: -900, count: 10 },
      { top: -400, count: 10 },
      { top: 100, count: 10 }
    ];
    expect(rowsWithin({ lists, reach: 500, rowHeight })).toBe(30);
  });

  it('stops at a long list that reaches past the line, even when later lists would start above it', () => {
    const lists = [
      { top: 0, count: 1000 },
      { top: 40_000, count: 10 }
    ];
    expect(rowsWithin({ lists, reach: 1080, rowHeight })).toBe(27);
  });
});
