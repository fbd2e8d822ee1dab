// Quoted and reposted posts are fetched by id (`posts`); one request per id.
import { api } from './api';
import type { PostView } from './bindings';
import { onPostChange } from './postchanges';

const cache = new Map<string, Promise<PostView | null>>();
const resolved = new Map<string, PostView | null>();

// The person's own edits, reactions and deletions reach quotes and reposts
// shown later: the post as it now is, or fetched anew.
onPostChange((id, change) => {
  if (change.kind === 'changed') {
    resolved.set(id, change.post);
    cache.set(id, Promise.resolve(change.post));
  } else forgetPost(id);
});

/** The post if it was already loaded (so a card can render at full height at once). */
export function peekPost(id: string): PostView | null | undefined {
  return resolved.get(id);
}

/** The post with this id, or null if the node doesn't have it. */
export function loadPost(id: string): Promise<PostView | null> {
  let p = cache.get(id);
  if (!p) {
    p = api.posts([id]).then(
      (found) => {
        const post = found.find((x) => x.id === id) ?? null;
        resolved.set(id, post);
        return post;
      },
      (e: unknown) => {
        cache.delete(id);
        throw e;
      },
    );
    cache.set(id, p);
  }
  return p;
}

/** The post as just read from the node (changed elsewhere): quotes and reposts shown later show it so. */
export function postRead(post: PostView): void {
  resolved.set(post.id, post);
  cache.set(post.id, Promise.resolve(post));
}

export function forgetPost(id: string): void {
  cache.delete(id);
  resolved.delete(id);
}

export function clearPostCache(): void {
  cache.clear();
  resolved.clear();
}
