// Posts changed in ways only the node knows: edited, deleted, reacted to,
// replied to or reposted by peers or by a `kith` command on this node, or
// counted anew after this window answered or quoted them. Lists showing
// them read them again. A sync brings many batches a second, so their ids
// are gathered for a short while and handed on together.
import { on, type Unlisten } from './api';
import { onPostChange } from './postchanges';

/** How long ids are gathered before they are handed on, in ms. */
export const GATHER_MS = 250;

/**
 * Calls `fn` with the ids of posts a list may show out of date: changed
 * elsewhere (posts arrived, which includes edits and deletions, and posts
 * whose counts changed), or by this window in a way only the node knows
 * (`postTouched`), gathered for `GATHER_MS`. Returns how to stop; ids
 * gathered then are dropped.
 */
export function onStalePosts(fn: (ids: ReadonlySet<string>) => void): Unlisten {
  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    const ids = pending;
    pending = new Set();
    fn(ids);
  };
  const add = (ids: readonly string[]): void => {
    for (const id of ids) pending.add(id);
    if (timer === null && pending.size > 0) timer = setTimeout(flush, GATHER_MS);
  };
  const stops = [
    on.postsArrived((p) => add(p.posts)),
    on.countsChanged((c) => add(c.posts)),
    onPostChange((id, change) => {
      if (change.kind === 'touched') add([id]);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
    if (timer !== null) clearTimeout(timer);
  };
}
