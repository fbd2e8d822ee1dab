// A long post list is laid out in blocks of cards (see PostList.svelte).

/** A run of posts shown together; `key` stays the same while it is shown. */
export type Block<T> = { key: number; posts: T[] };

/**
 * Groups `posts` (in order) into blocks of at most `size`. `placed`
 * remembers each post's block from one call to the next, so a post keeps
 * its block when others are removed (its card is not remounted, and keeps
 * what the reader typed or opened in it); posts added at the end fill the
 * last block, then start the next. Clear `placed` when the list is
 * replaced rather than extended.
 */
export function inBlocks<T extends { id: string }>(
  posts: readonly T[],
  placed: Map<string, number>,
  size: number,
): Block<T>[] {
  const out: Block<T>[] = [];
  for (const p of posts) {
    const last = out[out.length - 1];
    let key = placed.get(p.id);
    if (key === undefined || (last !== undefined && key < last.key)) {
      key = last === undefined ? 0 : last.posts.length < size ? last.key : last.key + 1;
      placed.set(p.id, key);
    }
    if (last !== undefined && last.key === key) last.posts.push(p);
    else out.push({ key, posts: [p] });
  }
  return out;
}
