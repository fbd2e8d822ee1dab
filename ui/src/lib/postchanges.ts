// The person's own changes to posts (edits, deletions, reactions, posts
// published), in the order they were made, so that lists kept across
// navigation (listcache) show them when they come back, without fetching
// every list again on every visit. `api` records each change as the node
// accepts it; a card that knows the post as it now is says so too.
import type { PostView } from './bindings';

/** How one post changed. */
export type PostChangeRecord =
  /** Changed, as it now is. */
  | { kind: 'changed'; post: PostView }
  /** Changed in a way only the node knows (fetch it again). */
  | { kind: 'touched' }
  | { kind: 'deleted' };

/** The changes made since a given mark, latest for each post. */
export type ChangesSince = {
  /** Post id → its latest change. */
  posts: Map<string, PostChangeRecord>;
  /** Posts published (own posts, replies, quotes, reposts), oldest first. */
  published: string[];
};

type Entry = { seq: number; change: PostChangeRecord };

/** More changes than any visit needs; the oldest are forgotten. */
const KEEP = 500;

let seq = 0;
const byPost = new Map<string, Entry>();
const published: { seq: number; id: string }[] = [];
const listeners = new Set<(id: string, change: PostChangeRecord) => void>();

/** A mark of now: `changesSince(mark)` gives what is changed after it. */
export function changeMark(): number {
  return seq;
}

function record(id: string, change: PostChangeRecord): void {
  seq += 1;
  byPost.delete(id); // re-inserted last: the map stays in order of change
  byPost.set(id, { seq, change });
  if (byPost.size > KEEP) {
    const oldest = byPost.keys().next().value;
    if (oldest !== undefined) byPost.delete(oldest);
  }
  for (const l of listeners) l(id, change);
}

/** The post is now `post` (an edit or a reaction whose result is known). */
export function postChanged(post: PostView): void {
  record(post.id, { kind: 'changed', post });
}

/** The post changed; what it looks like now is the node's to say. */
export function postTouched(id: string): void {
  record(id, { kind: 'touched' });
}

export function postDeleted(id: string): void {
  record(id, { kind: 'deleted' });
}

export function postPublished(id: string): void {
  seq += 1;
  published.push({ seq, id });
  if (published.length > KEEP) published.shift();
}

/** What changed after `mark` (see `changeMark`). */
export function changesSince(mark: number): ChangesSince {
  const posts = new Map<string, PostChangeRecord>();
  for (const [id, e] of byPost) if (e.seq > mark) posts.set(id, e.change);
  return { posts, published: published.filter((p) => p.seq > mark).map((p) => p.id) };
}

/** Calls `fn` on each later change of a post; returns how to stop. */
export function onPostChange(fn: (id: string, change: PostChangeRecord) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * `posts` with the changes applied: changed posts replaced, deleted ones
 * left out. The same array when nothing applies.
 */
export function applyChanges(posts: PostView[], changes: ChangesSince): PostView[] {
  if (changes.posts.size === 0) return posts;
  let differs = false;
  const out: PostView[] = [];
  for (const p of posts) {
    const c = changes.posts.get(p.id);
    if (c === undefined || c.kind === 'touched') {
      out.push(p);
      continue;
    }
    differs = true;
    if (c.kind === 'changed' && !c.post.deleted) out.push(c.post);
  }
  return differs ? out : posts;
}
