// A long post list is laid out in blocks of cards (see PostList.svelte).

/** A run of posts shown together; `key` stays the same while it is shown. */
export type Block<T> = { key: number; posts: T[] };

/**
 * Groups a list of posts into blocks of at most `size`, from one version of
 * the list to the next. A post keeps its block when others are removed (its
 * card is not remounted, and keeps what the reader typed or opened in it);
 * posts added at the end fill the last block, then start the next. A block
 * whose posts did not change is returned as the same object, so the view
 * compares the cards of changed blocks only: appending a few posts to a list
 * of thousands costs the last block, not the whole list.
 */
export class BlockLayout<T extends { id: string }> {
  /** Each post's block, remembered from one version to the next. */
  readonly #placed = new Map<string, number>();
  /** The blocks of the last version, by key. */
  #last = new Map<number, Block<T>>();

  constructor(readonly size: number) {}

  /** The blocks of `posts` (in order). */
  of(posts: readonly T[]): Block<T>[] {
    const out: Block<T>[] = [];
    for (const p of posts) {
      const last = out[out.length - 1];
      let key = this.#placed.get(p.id);
      if (key === undefined || (last !== undefined && key < last.key)) {
        key = last === undefined ? 0 : last.posts.length < this.size ? last.key : last.key + 1;
        this.#placed.set(p.id, key);
      }
      if (last !== undefined && last.key === key) last.posts.push(p);
      else out.push({ key, posts: [p] });
    }
    const kept = out.map((b) => {
      const before = this.#last.get(b.key);
      return before !== undefined && sameItems(before.posts, b.posts) ? before : b;
    });
    this.#last = new Map(kept.map((b) => [b.key, b]));
    return kept;
  }

  /** Forgets every place: the next version starts from the first block (the list was replaced). */
  clear(): void {
    this.#placed.clear();
    this.#last.clear();
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
