// Which blocks of a long post list keep their cards in the page (see
// PostList.svelte). Cards far from view are taken out and a box of the same
// height keeps their place, so the page holds a few blocks of cards however
// long the list grows: scrolling, adding cards and the 30-second clock cost
// what they cost near the top of the list.
//
// Cards come and go a few a frame. A block coming back ("waking") gains
// cards; a block leaving loses them; either way it holds its height
// meanwhile, so nothing else on the page moves.

/**
 * A block on its way in or out: how many of its cards are shown, and from
 * which end (`fromEnd`: its last cards, for a block above the viewport).
 */
type Moving = { shown: number; fromEnd: boolean };

/** The cards of a block that are in the page: `posts.slice(start, end)`. */
export type Shown = { start: number; end: number };

/**
 * The blocks whose cards are out of the page ("parked"), coming back a few
 * cards a frame ("waking") or leaving a few a frame. Every other block shows
 * all its cards: a block is in the page unless it was parked, so a list no
 * observer reports on (a test, an old engine) simply shows everything.
 */
export class BlockWindow {
  /** Height (px) each parked, leaving or waking block holds. */
  readonly #held = new Map<number, number>();
  /** The blocks coming back, in the order they were woken. */
  readonly #waking = new Map<number, Moving>();
  /** The blocks leaving, in the order they were parked. */
  readonly #leaving = new Map<number, Moving>();
  /**
   * The blocks the reader has come near. Only these are parked: a block
   * never near has never been laid out, so its height is not known (and
   * the block a page is filling is often made far below the view).
   */
  readonly #seen = new Set<number>();
  /** The height (px) each card had when it left the page, by post id. */
  readonly #cardHeights = new Map<string, number>();
  /** Bumped on every change: what the view reads of the window is reactive. */
  #version = $state(0);

  /** `perStep`: cards a waking or leaving block gains or loses per step (one step a frame). */
  constructor(readonly perStep: number) {}

  /**
   * Takes a block's cards out of the page a few a step, keeping its `height`
   * (px) from now on. `above`: the block is above the viewport, so it keeps
   * its last cards (the ones nearest the reader) longest. A block on its way
   * back leaves from the side it was coming in from. Returns whether
   * anything changed.
   */
  park(key: number, height: number, above = false): boolean {
    if (!(height > 0) || !this.#seen.has(key)) return false; // height not known
    const wasHeld = this.#held.get(key);
    const coming = this.#waking.get(key);
    this.#held.set(key, height);
    if (coming !== undefined) {
      this.#waking.delete(key);
      this.#leaving.set(key, coming);
    } else if (wasHeld === undefined) {
      this.#leaving.set(key, { shown: Number.POSITIVE_INFINITY, fromEnd: above });
    } else if (wasHeld === height) {
      return false; // parked or leaving already, at this height
    }
    this.#version++;
    return true;
  }

  /** The reader came near the block: it may be parked once far again. */
  see(key: number): void {
    this.#seen.add(key);
  }

  /** Keeps the height (px) a card had as it leaves the page. */
  rememberCard(id: string, height: number): void {
    if (height > 0) this.#cardHeights.set(id, height);
  }

  /** The height (px) a card had when it last left the page, or null. */
  cardHeight(id: string): number | null {
    return this.#cardHeights.get(id) ?? null;
  }

  /**
   * Starts bringing a parked block's cards back. `fromEnd`: its last cards
   * first, for a block above the viewport that the reader nears from below.
   * A block still leaving turns back from where it is, on the side whose
   * cards it still shows. `inView`: the reader is already looking at it
   * (they jumped there), so it comes back whole at the next step, before
   * any other. Returns whether anything changed.
   */
  wake(key: number, fromEnd = false, inView = false): boolean {
    if (!this.#held.has(key)) return false;
    const coming = this.#waking.get(key);
    if (coming !== undefined && (!inView || coming.shown === Number.POSITIVE_INFINITY)) return false;
    const going = this.#leaving.get(key);
    this.#leaving.delete(key);
    const from = coming ?? going ?? { shown: 0, fromEnd };
    if (inView) {
      // First in line, with every card.
      const rest = [...this.#waking].filter(([k]) => k !== key);
      this.#waking.clear();
      this.#waking.set(key, { ...from, shown: Number.POSITIVE_INFINITY });
      for (const [k, w] of rest) this.#waking.set(k, w);
    } else {
      this.#waking.set(key, from);
    }
    this.#version++;
    return true;
  }

  /**
   * One step: the first waking block gains `perStep` cards or, when none is
   * waking, the first leaving block loses as many (`sizeOf` gives a block's
   * number of cards). A block that shows all its cards again holds no
   * height any more. Returns whether there is more to do.
   */
  step(sizeOf: (key: number) => number): boolean {
    const coming = this.#waking.entries().next();
    if (coming.done !== true) {
      const [key, w] = coming.value;
      const shown = w.shown + this.perStep;
      if (shown >= sizeOf(key)) {
        this.#waking.delete(key);
        this.#held.delete(key);
      } else {
        this.#waking.set(key, { ...w, shown });
      }
    } else {
      const going = this.#leaving.entries().next();
      if (going.done === true) return false;
      const [key, w] = going.value;
      const shown = Math.min(w.shown, sizeOf(key)) - this.perStep;
      if (shown <= 0) this.#leaving.delete(key);
      else this.#leaving.set(key, { ...w, shown });
    }
    this.#version++;
    return this.moving;
  }

  /** Whether blocks are waking or leaving (`step` has work to do). */
  get moving(): boolean {
    void this.#version;
    return this.#waking.size > 0 || this.#leaving.size > 0;
  }

  /** Which of a block's `total` cards are in the page. */
  shown(key: number, total: number): Shown {
    void this.#version;
    const w = this.#moving(key);
    if (w !== undefined) {
      const n = Math.min(w.shown, total);
      return w.fromEnd ? { start: total - n, end: total } : { start: 0, end: n };
    }
    return this.#held.has(key) ? { start: 0, end: 0 } : { start: 0, end: total };
  }

  /** Whether a waking or leaving block shows its last cards. */
  fromEnd(key: number): boolean {
    void this.#version;
    return this.#moving(key)?.fromEnd ?? false;
  }

  /** The block's state if it is waking or leaving. */
  #moving(key: number): Moving | undefined {
    return this.#waking.get(key) ?? this.#leaving.get(key);
  }

  /** The height (px) a parked, leaving or waking block holds, or null. */
  held(key: number): number | null {
    void this.#version;
    return this.#held.get(key) ?? null;
  }

  /**
   * Whether the block is held at exactly its height: parked, or leaving.
   * A waking block holds it as a least height instead.
   */
  parked(key: number): boolean {
    void this.#version;
    return this.#held.has(key) && !this.#waking.has(key);
  }

  /** Every block in the page again (the list was replaced). */
  clear(): void {
    this.#held.clear();
    this.#waking.clear();
    this.#leaving.clear();
    this.#seen.clear();
    this.#cardHeights.clear();
    this.#version++;
  }
}
