// Quoted and reposted posts are fetched with `thread(id)`; one request per id.
import { api } from './api';
import type { PostView } from './bindings';

const cache = new Map<string, Promise<PostView | null>>();
const resolved = new Map<string, PostView | null>();

/** The post if it was already loaded (so a card can render at full height at once). */
export function peekPost(id: string): PostView | null | undefined {
  return resolved.get(id);
}

/** The post with this id, or null if the node doesn't have it. */
export function loadPost(id: string): Promise<PostView | null> {
  let p = cache.get(id);
  if (!p) {
    p = api.thread(id).then(
      (page) => {
        const post = page.posts.find((x) => x.id === id) ?? null;
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

export function forgetPost(id: string): void {
  cache.delete(id);
  resolved.delete(id);
}

export function clearPostCache(): void {
  cache.clear();
  resolved.clear();
}
