// Which blocks of a long post list keep their cards in the page (see
// PostList.svelte). Cards far from view are taken out and a box of the same
// height keeps their place, so the page holds a few blocks of cards however
// long the list grows: scrolling, adding cards and the 30-second clock cost
// what they cost near the top of the list.

/** A block coming back: how many of its cards are shown, and from which end. */
type Waking = { shown: number; fromEnd: boolean };

/** The cards of a block that are in the page: `posts.slice(start, end)`. */
export type Shown = { start: number; end: number };

/**
 * The blocks whose cards are out of the page ("parked") or coming back a few
 * cards a frame ("waking"). Every other block shows all its cards: a block
 * is in the page unless it was parked, so a list no observer reports on
 * (a test, an old engine) simply shows everything.
 */
export class BlockWindow {
  /** Height (px) each parked or waking block holds. */
  readonly #held = new Map<number, number>();
  /** The blocks coming back, in the order they were woken. */
  readonly #waking = new Map<number, Waking>();
  /** Bumped on every change: what the view reads of the window is reactive. */
  #version = $state(0);

  /** `perStep`: cards a waking block gains per step (one step a frame). */
  constructor(readonly perStep: number) {}

  /**
   * Takes a block's cards out of the page, keeping its `height` (px).
   * Returns whether anything changed.
   */
  park(key: number, height: number): boolean {
    if (!(height > 0)) return false; // not laid out: nothing to keep
    const changed = this.#held.get(key) !== height || this.#waking.has(key);
    this.#held.set(key, height);
    this.#waking.delete(key);
    if (changed) this.#version++;
    return changed;
  }

  /**
   * Starts bringing a parked block's cards back. `fromEnd`: its last cards
   * first, for a block above the viewport that the reader nears from below.
   * Returns whether anything changed.
   */
  wake(key: number, fromEnd = false): boolean {
    if (!this.#held.has(key) || this.#waking.has(key)) return false;
    this.#waking.set(key, { shown: 0, fromEnd });
    this.#version++;
    return true;
  }

  /**
   * One step of bringing blocks back: the first waking block gains
   * `perStep` cards (`sizeOf` gives a block's number of cards), and a block
   * that shows them all holds no height any more. Returns whether blocks
   * are still waking.
   */
  step(sizeOf: (key: number) => number): boolean {
    const first = this.#waking.entries().next();
    if (first.done === true) return false;
    const [key, w] = first.value;
    const shown = w.shown + this.perStep;
    if (shown >= sizeOf(key)) {
      this.#waking.delete(key);
      this.#held.delete(key);
    } else {
      this.#waking.set(key, { ...w, shown });
    }
    this.#version++;
    return this.#waking.size > 0;
  }

  /** Whether blocks are waking (`step` has work to do). */
  get waking(): boolean {
    void this.#version;
    return this.#waking.size > 0;
  }

  /** Which of a block's `total` cards are in the page. */
  shown(key: number, total: number): Shown {
    void this.#version;
    const w = this.#waking.get(key);
    if (w !== undefined) {
      const n = Math.min(w.shown, total);
      return w.fromEnd ? { start: total - n, end: total } : { start: 0, end: n };
    }
    return this.#held.has(key) ? { start: 0, end: 0 } : { start: 0, end: total };
  }

  /** Whether a waking block shows its last cards first. */
  fromEnd(key: number): boolean {
    void this.#version;
    return this.#waking.get(key)?.fromEnd ?? false;
  }

  /** The height (px) a parked or waking block holds, or null. */
  held(key: number): number | null {
    void this.#version;
    return this.#held.get(key) ?? null;
  }

  /** Whether the block's cards are out of the page. */
  parked(key: number): boolean {
    void this.#version;
    return this.#held.has(key) && !this.#waking.has(key);
  }

  /** Every block in the page again (the list was replaced). */
  clear(): void {
    this.#held.clear();
    this.#waking.clear();
    this.#version++;
  }
}
