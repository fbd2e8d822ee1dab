// Shared test setup: a ready account with friends, and typed shortcuts.
import { emptyState, fakeAccountId, fakeListId, makePost, type FakeList, type FakeState } from '../dev/fake-backend';
import type { PostView } from '../lib/bindings';
import { session } from '../lib/session.svelte';
import { backend } from './fake-bindings';

export const ME = fakeAccountId('me');
export const ADA = fakeAccountId('ada');
export const BOB = fakeAccountId('bob');

/** A ready account named "Me" that follows Ada and Bob. */
export function readyState(): FakeState {
  const s = emptyState();
  s.phase = 'ready';
  s.passphrase = 'correct horse';
  s.me = { account: ME, name: 'Me', bio: null, avatar: null };
  s.accounts.set(ADA, { account: ADA, name: 'Ada', bio: 'Engines', avatar: null });
  s.accounts.set(BOB, { account: BOB, name: 'Bob', bio: null, avatar: null });
  s.following = [ADA, BOB];
  return s;
}

/** Resets the fake backend and the session to a ready account. */
export function useReadyAccount(): FakeState {
  const s = readyState();
  backend.reset(s);
  session.status = { phase: 'ready', home: s.home, account: ME, problem: null, name: null };
  session.setProfile('Me', null);
  return s;
}

/** Adds a post to the fake node; returns a copy, as IPC would (no shared objects). */
export function addPost(s: FakeState, p: Partial<PostView> & { author: string }): PostView {
  const name = p.author === ME ? 'Me' : (s.accounts.get(p.author)?.name ?? null);
  const post = makePost({ author_name: name, ...p });
  s.posts.push(post);
  return structuredClone(post);
}

export function file(name: string, size: number, type = 'image/png'): File {
  const f = new File(['x'], name, { type });
  Object.defineProperty(f, 'size', { value: size });
  return f;
}

export const CAROL = fakeAccountId('carol');

/** A moderation list maintained by `owner` (Carol by default); returns its id. */
export function addList(
  s: FakeState,
  name: string,
  opts: { owner?: string; entries?: FakeList['entries']; subscribe?: { hide: string[]; warn: string[] } } = {},
): string {
  const owner = opts.owner ?? CAROL;
  if (owner === CAROL && !s.accounts.has(CAROL)) s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
  const id = fakeListId(`${owner}:${name}`);
  s.lists.push({ id, owner, name, entries: opts.entries ?? [] });
  if (opts.subscribe) s.subscriptions.push({ list: id, ...opts.subscribe });
  return id;
}

/** A list entry listed a minute ago. */
export function entry(target: string, labels: string[], reason = ''): FakeList['entries'][number] {
  return { target, name: null, labels, reason, created_at: Date.now() - 60_000 };
}

/**
 * Makes the web view's image decoding (which jsdom lacks) refuse files whose
 * name contains `broken`, as WebKit refuses a damaged file, after 30 ms.
 * Returns the undo.
 */
export function decodingRefusesBrokenFiles(): () => void {
  const create = URL.createObjectURL;
  const proto = HTMLImageElement.prototype as { decode?: () => Promise<void> };
  URL.createObjectURL = (b: Blob | MediaSource) => `blob:${b instanceof File ? b.name : 'blob'}`;
  // Answers after a while, as decoding a real picture takes a while.
  proto.decode = function (this: HTMLImageElement): Promise<void> {
    const broken = this.src.includes('broken');
    return new Promise((resolve, reject) =>
      setTimeout(() => (broken ? reject(new DOMException('bad', 'EncodingError')) : resolve()), 30),
    );
  };
  return () => {
    URL.createObjectURL = create;
    delete proto.decode;
  };
}
