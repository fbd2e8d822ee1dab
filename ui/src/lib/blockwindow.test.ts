import { describe, expect, it } from 'vitest';
import { BlockWindow } from './blockwindow.svelte';

const thirty = (): number => 30;

/** A window in which the reader has come near blocks 0 to 9 (only those are parked). */
function nearAll(perStep: number): BlockWindow {
  const w = new BlockWindow(perStep);
  for (let k = 0; k < 10; k++) w.see(k);
  return w;
}

/** Parks blocks of 30 cards and steps until all their cards are out. */
function parkAll(w: BlockWindow, height: number, ...keys: number[]): void {
  for (const k of keys) w.park(k, height);
  for (let i = 0; i < 100 && w.step(thirty); i++) {
    /* cards leaving */
  }
  for (const k of keys) expect(w.shown(k, 30)).toEqual({ start: 0, end: 0 });
}

describe('BlockWindow', () => {
  it('shows every card of a block it was never told about', () => {
    const w = new BlockWindow(3);
    expect(w.shown(0, 30)).toEqual({ start: 0, end: 30 });
    expect(w.held(0)).toBeNull();
    expect(w.parked(0)).toBe(false);
    expect(w.moving).toBe(false);
  });

  it('parks a block a few cards a step, holding the height it had from the first step', () => {
    const w = nearAll(10);
    expect(w.park(4, 4321.5)).toBe(true);
    expect(w.held(4)).toBe(4321.5);
    expect(w.parked(4)).toBe(true); // held at exactly its height at once
    expect(w.shown(4, 30)).toEqual({ start: 0, end: 30 });
    expect(w.moving).toBe(true);
    const seen: number[] = [];
    let steps = 0;
    while (w.step(thirty) && steps < 100) {
      steps++;
      seen.push(w.shown(4, 30).end);
    }
    expect(seen).toEqual([20, 10]);
    expect(w.shown(4, 30)).toEqual({ start: 0, end: 0 });
    expect(w.held(4)).toBe(4321.5);
    expect(w.moving).toBe(false);
    // Parking again at the same height changes nothing.
    expect(w.park(4, 4321.5)).toBe(false);
  });

  it('takes the cards farthest from the reader out first: a block above the view keeps its last ones', () => {
    const w = nearAll(10);
    w.park(0, 3000, true);
    expect(w.fromEnd(0)).toBe(true);
    w.step(thirty);
    expect(w.shown(0, 30)).toEqual({ start: 10, end: 30 });
    w.step(thirty);
    expect(w.shown(0, 30)).toEqual({ start: 20, end: 30 });
  });

  it('turns a leaving block back from where it is when it is woken', () => {
    const w = nearAll(10);
    w.park(1, 3000, true);
    w.step(thirty);
    // Woken "from the start", but its cards left from the start: it comes
    // back on the side it still shows.
    expect(w.wake(1, false)).toBe(true);
    expect(w.parked(1)).toBe(false);
    expect(w.shown(1, 30)).toEqual({ start: 10, end: 30 });
    w.step(thirty);
    expect(w.shown(1, 30)).toEqual({ start: 0, end: 30 });
    expect(w.held(1)).toBeNull();
    expect(w.moving).toBe(false);
  });

  it('brings blocks back before it takes any out', () => {
    const w = nearAll(10);
    parkAll(w, 900, 7, 8);
    w.park(2, 900);
    w.wake(8);
    w.step(thirty);
    expect(w.shown(8, 30).end).toBe(10);
    expect(w.shown(2, 30).end).toBe(30);
  });

  it('does not park a block the reader never came near: its height is not known', () => {
    const w = new BlockWindow(3);
    expect(w.park(2, 4500)).toBe(false);
    expect(w.held(2)).toBeNull();
    expect(w.shown(2, 30)).toEqual({ start: 0, end: 30 });
    w.see(2);
    expect(w.park(2, 4980)).toBe(true);
    expect(w.held(2)).toBe(4980);
  });

  it('keeps the height each card had as it left, until the list is replaced', () => {
    const w = nearAll(3);
    w.rememberCard('a', 151.5);
    w.rememberCard('b', 0); // not laid out: nothing to keep
    expect(w.cardHeight('a')).toBe(151.5);
    expect(w.cardHeight('b')).toBeNull();
    w.clear();
    expect(w.cardHeight('a')).toBeNull();
  });

  it('does not park a block that has no height (not laid out)', () => {
    const w = nearAll(3);
    expect(w.park(1, 0)).toBe(false);
    expect(w.park(1, Number.NaN)).toBe(false);
    expect(w.shown(1, 30)).toEqual({ start: 0, end: 30 });
  });

  it('brings a woken block back a few cards a step from its first card, holding its height until all are back', () => {
    const w = nearAll(3);
    parkAll(w, 4000, 2);
    expect(w.wake(2)).toBe(true);
    expect(w.wake(2)).toBe(false); // already waking
    expect(w.parked(2)).toBe(false);
    expect(w.shown(2, 30)).toEqual({ start: 0, end: 0 });
    const seen: number[] = [];
    let steps = 0;
    while (w.step(thirty) && steps < 100) {
      steps++;
      seen.push(w.shown(2, 30).end);
      expect(w.held(2)).toBe(4000);
    }
    expect(seen).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(w.shown(2, 30)).toEqual({ start: 0, end: 30 });
    expect(w.held(2)).toBeNull();
    expect(w.moving).toBe(false);
  });

  it('brings a block above the view back from its last card', () => {
    const w = nearAll(4);
    parkAll(w, 3000, 0);
    w.wake(0, true);
    expect(w.fromEnd(0)).toBe(true);
    w.step(thirty);
    expect(w.shown(0, 30)).toEqual({ start: 26, end: 30 });
    w.step(thirty);
    expect(w.shown(0, 30)).toEqual({ start: 22, end: 30 });
  });

  it('wakes one block at a time, in the order they were woken', () => {
    const w = nearAll(10);
    parkAll(w, 100, 5, 6);
    w.wake(6);
    w.wake(5);
    w.step(thirty);
    expect(w.shown(6, 30).end).toBe(10);
    expect(w.shown(5, 30).end).toBe(0);
    w.step(thirty);
    expect(w.step(thirty)).toBe(true); // 6 is back, 5 still to come
    expect(w.shown(6, 30).end).toBe(30);
    w.step(thirty);
    expect(w.shown(5, 30).end).toBe(10);
  });

  it('counts a block that lost posts while parked by the posts it has now', () => {
    const w = nearAll(3);
    parkAll(w, 900, 0);
    w.wake(0);
    w.step(() => 2); // two posts left in it: back at once
    expect(w.shown(0, 2)).toEqual({ start: 0, end: 2 });
    expect(w.held(0)).toBeNull();
  });

  it('sends a waking block out again, from where it is, when the reader leaves before it is back', () => {
    const w = nearAll(3);
    parkAll(w, 2500, 3);
    w.wake(3);
    w.step(thirty);
    w.step(thirty);
    expect(w.park(3, 2500)).toBe(true);
    expect(w.parked(3)).toBe(true);
    expect(w.shown(3, 30).end).toBe(6);
    w.step(thirty);
    expect(w.shown(3, 30).end).toBe(3);
    expect(w.step(thirty)).toBe(false);
    expect(w.shown(3, 30).end).toBe(0);
    expect(w.held(3)).toBe(2500);
  });

  it('brings a block the reader is already looking at back whole, before blocks woken earlier', () => {
    const w = nearAll(3);
    parkAll(w, 900, 1, 2, 3);
    w.wake(1);
    w.wake(2);
    w.step(thirty);
    // The reader jumps into block 3, then into block 2 (already coming back).
    expect(w.wake(3, false, true)).toBe(true);
    w.step(thirty);
    expect(w.shown(3, 30)).toEqual({ start: 0, end: 30 });
    expect(w.held(3)).toBeNull();
    expect(w.shown(1, 30).end).toBe(3);
    expect(w.wake(2, false, true)).toBe(true);
    expect(w.wake(2, false, true)).toBe(false); // already coming back whole
    w.step(thirty);
    expect(w.shown(2, 30)).toEqual({ start: 0, end: 30 });
    expect(w.shown(1, 30).end).toBe(3);
  });

  it('does not wake a block that is not parked', () => {
    const w = nearAll(3);
    expect(w.wake(9)).toBe(false);
    expect(w.moving).toBe(false);
  });

  it('shows everything again after clear', () => {
    const w = nearAll(3);
    w.park(0, 10);
    w.park(1, 10);
    w.wake(1);
    w.clear();
    expect(w.shown(0, 30)).toEqual({ start: 0, end: 30 });
    expect(w.shown(1, 30)).toEqual({ start: 0, end: 30 });
    expect(w.moving).toBe(false);
  });
});
