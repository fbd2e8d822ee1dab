// Finding the first card in view without touching every card: a long list
// has thousands, and this runs once per frame while the reader scrolls.

/** Something with a box on screen (an element). */
export type Boxed = { getBoundingClientRect(): { bottom: number } };

/**
 * The first of `items` whose bottom edge is below `y` (viewport px), or
 * null if none is. `items` must go down the page in order. A binary search:
 * it measures about log2(n) boxes, and reads only the collection it is
 * given, never the subtree beneath it.
 */
export function firstBelow<T extends Boxed>(items: ArrayLike<T>, y: number): T | null {
  let lo = 0;
  let hi = items.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid]?.getBoundingClientRect().bottom ?? 0) > y) hi = mid;
    else lo = mid + 1;
  }
  const found = items[lo];
  return found !== undefined && found.getBoundingClientRect().bottom > y ? found : null;
}

/**
 * The first card below `y` in a list of blocks of cards (`list.children`
 * are the blocks, their children the cards): two binary searches.
 */
export function firstCardBelow(list: Element, y: number): Element | null {
  const block = firstBelow(list.children, y);
  return block ? firstBelow(block.children, y) : null;
}
