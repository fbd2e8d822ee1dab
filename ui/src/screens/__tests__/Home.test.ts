import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { ADA, addList, addPost, BOB, CAROL, entry, ME, useReadyAccount } from '../../test/helpers';
import { clearSnapshots, getSnapshot } from '$lib/listcache';
import { live } from '$lib/live.svelte';
import { moderation } from '$lib/moderation.svelte';
import Home from '../Home.svelte';

let s: FakeState;

function seed(n: number): void {
  const t = Date.now();
  for (let i = 0; i < n; i++) addPost(s, { author: i % 2 ? ADA : BOB, text: `post ${i}`, created_at: t - i * 60_000 });
}

describe('Home timeline', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearSnapshots();
    live.reset();
    delete document.documentElement.dataset.ready;
  });

  it('shows posts newest first, marks the first paint and sets data-ready', async () => {
    seed(3);
    const mark = vi.spyOn(performance, 'mark');
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
    expect(screen.getAllByTestId('post-text').map((e) => e.textContent)).toEqual(['post 0', 'post 1', 'post 2']);
    expect(screen.getByTestId('timeline')).toBeInTheDocument();
    await waitFor(() => expect(document.documentElement.dataset.ready).toBe('true'));
    expect(mark).toHaveBeenCalledWith('first-timeline');
    expect(commands.timeline).toHaveBeenCalledWith(12, null);
  });

  it('shows an empty state on an empty timeline', async () => {
    render(Home);
    expect(await screen.findByText('Your timeline is quiet')).toBeInTheDocument();
  });

  it('loads a screenful first, then full pages, each after the cursor of the one before', async () => {
    seed(45);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
    expect(commands.timeline).toHaveBeenCalledWith(12, null);
    await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(42));
    expect(commands.timeline.mock.calls[1]).toEqual([30, screen.getAllByTestId('post')[11]?.dataset.postId]);
    await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(45));
    expect(commands.timeline.mock.calls[2]?.[1]).toBe(screen.getAllByTestId('post')[41]?.dataset.postId);
    expect(await screen.findByText('You’re all caught up.')).toBeInTheDocument();
  });

  it('keeps the Load more button, disabled and saying so, while a later page loads', async () => {
    seed(45);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    commands.timeline.mockImplementationOnce(async (limit, before) => {
      await gate;
      return backend.commands.timeline(limit, before);
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('button', { name: 'Loading more…' })).toBeDisabled();
    // No animated spinner mid-list: it would be a layer made and dropped per page.
    expect(document.querySelector('.spinner')).toBeNull();
    release();
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(42));
    expect(screen.getByRole('button', { name: 'Load more' })).toBeEnabled();
  });

  it('shows a "N new posts" pill when posts arrive and reloads the top when clicked', async () => {
    seed(2);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();

    const fresh = addPost(s, { author: ADA, text: 'fresh', created_at: Date.now() + 1000 });
    const other = addPost(s, { author: ADA, text: 'other', created_at: Date.now() + 500 });
    backend.postsArrived(ADA, [fresh.id, other.id]);
    const pill = await screen.findByTestId('new-posts-pill');
    expect(pill).toHaveTextContent('2 new posts');
    expect(pill.closest('[aria-live="polite"]')).not.toBeNull();

    await fireEvent.click(pill);
    await waitFor(() => expect(screen.getAllByTestId('post-text')[0]).toHaveTextContent('fresh'));
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();
  });

  it('counts neither edits nor deletions of older posts not shown yet in the "new posts" pill', async () => {
    seed(40);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
    const [older, gone] = [s.posts[30]!, s.posts[31]!];
    older.text = 'post 30, edited';
    older.edited = true;
    older.edited_at = Date.now();
    gone.deleted = true;
    gone.text = null;
    backend.postsArrived(older.author, [older.id]);
    backend.postsArrived(gone.author, [gone.id]);
    const fresh = addPost(s, { author: ADA, text: 'fresh', created_at: Date.now() + 1000 });
    backend.postsArrived(ADA, [fresh.id]);
    expect(await screen.findByTestId('new-posts-pill')).toHaveTextContent('1 new post');
  });

  it('does not count posts of a feed this computer carries but does not follow', async () => {
    seed(2);
    s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    const carried = addPost(s, { author: CAROL, text: 'not followed', created_at: Date.now() + 1000 });
    backend.postsArrived(CAROL, [carried.id]);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();
    const followed = addPost(s, { author: BOB, text: 'followed', created_at: Date.now() + 1000 });
    backend.postsArrived(BOB, [followed.id]);
    expect(await screen.findByTestId('new-posts-pill')).toHaveTextContent('1 new post');
  });

  it('updates a shown post edited by its author in place, without counting it as new', async () => {
    seed(2);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    const shown = s.posts[0]!;
    shown.text = 'post 0, edited';
    shown.edited = true;
    backend.postsArrived(shown.author, [shown.id]);
    await waitFor(() => expect(screen.getAllByTestId('post-text')[0]).toHaveTextContent('post 0, edited'));
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();
  });

  it('counts a reaction a peer gave to a shown post in place, one read for a burst of them', async () => {
    seed(3);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
    const [first, second] = [s.posts[0]!, s.posts[1]!];
    const offScreen = addPost(s, { author: ADA, text: 'not shown', created_at: 0 });
    commands.posts.mockClear();
    backend.reactedElsewhere(BOB, first.id, '❤️');
    backend.reactedElsewhere(ADA, first.id, '❤️');
    backend.reactedElsewhere(ADA, second.id, '👍');
    backend.reactedElsewhere(BOB, offScreen.id, '👍');
    const cards = screen.getAllByTestId('post');
    await waitFor(() => expect(within(cards[0]!).getByRole('button', { name: '❤️ 2, react with ❤️' })).toBeVisible());
    expect(within(cards[1]!).getByRole('button', { name: '👍 1, react with 👍' })).toBeVisible();
    // The events of the burst were read together, and only for posts shown.
    expect(commands.posts).toHaveBeenCalledTimes(1);
    expect(commands.posts.mock.calls[0]?.[0]).toEqual([first.id, second.id]);
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();
  });

  it('counts a reaction to the original of a shown repost, and drops a shown post deleted elsewhere', async () => {
    // Carol is not followed: her post is shown only inside Bob's repost.
    s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
    const original = addPost(s, { author: CAROL, text: 'the original', created_at: Date.now() - 60_000 });
    addPost(s, { author: BOB, text: '', quote_of: original.id, created_at: Date.now() });
    const doomed = addPost(s, { author: BOB, text: 'soon deleted', created_at: Date.now() - 30_000 });
    render(Home);
    await waitFor(() => expect(screen.getByText('the original')).toBeVisible());
    expect(screen.getAllByTestId('post')).toHaveLength(2);
    backend.reactedElsewhere(ADA, original.id, '😂');
    const repost = screen.getAllByTestId('post').find((c) => c.textContent?.includes('Bob reposted'))!;
    await waitFor(() => expect(within(repost).getByRole('button', { name: '😂 1, react with 😂' })).toBeVisible());
    const stored = s.posts.find((p) => p.id === doomed.id)!;
    stored.deleted = true;
    stored.text = null;
    backend.postsArrived(BOB, [doomed.id]);
    await waitFor(() => expect(screen.queryByText('soon deleted')).toBeNull());
  });

  it('counts a reply that arrived from a peer on the card of the post it answers', async () => {
    seed(2);
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    // Carol is not followed: her reply is not on Home, only counted.
    s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
    const parent = s.posts[0]!;
    addPost(s, { author: CAROL, text: 'an answer', reply_to: parent.id, created_at: Date.now() });
    backend.emit('countsChanged', { posts: [parent.id] });
    const card = screen.getAllByTestId('post')[0]!;
    await waitFor(() => expect(within(card).getByRole('button', { name: 'Reply (1 reply)' })).toBeVisible());
    expect(screen.getAllByTestId('post')).toHaveLength(2);
  });

  it('shows a post published in the window at once, without counting it as new', async () => {
    render(Home);
    await screen.findByText('Your timeline is quiet');
    await fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'my first post' } });
    await fireEvent.click(screen.getByTestId('composer-submit'));
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('my first post'));
    expect(screen.queryByTestId('new-posts-pill')).toBeNull();
  });

  it('offers an own post written elsewhere (a `kith` command on this node) as a new post', async () => {
    render(Home);
    await screen.findByText('Your timeline is quiet');
    const mine = addPost(s, { author: ME, text: 'posted from a terminal', created_at: Date.now() });
    backend.postsArrived(ME, [mine.id]);
    await fireEvent.click(await screen.findByTestId('new-posts-pill'));
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('posted from a terminal'));
  });

  it('shows the error of a failed load with a retry', async () => {
    commands.timeline.mockResolvedValueOnce({ status: 'error', error: { code: 'locked', message: 'Kith is locked.' } });
    seed(1);
    render(Home);
    expect(await screen.findByRole('alert')).toHaveTextContent('Kith is locked.');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
  });

  describe('moderation', () => {
    beforeEach(() => moderation.reset());

    function texts(): (string | null)[] {
      return screen.queryAllByTestId('post-text').map((e) => e.textContent);
    }

    async function fromMenuOf(text: string, item: string): Promise<void> {
      const card = screen.getAllByTestId('post').find((c) => c.textContent?.includes(text))!;
      await fireEvent.click(within(card).getByRole('button', { name: 'More actions for this post' }));
      await fireEvent.click(within(card).getByRole('menuitem', { name: item }));
    }

    it('drops a blocked author’s posts without reloading, after the confirmation', async () => {
      const t = Date.now();
      addPost(s, { author: ADA, text: 'ada one', created_at: t });
      addPost(s, { author: BOB, text: 'bob one', created_at: t - 1000 });
      addPost(s, { author: ADA, text: 'ada two', created_at: t - 2000 });
      render(Home);
      await waitFor(() => expect(texts()).toEqual(['ada one', 'bob one', 'ada two']));

      await fromMenuOf('ada two', 'Block author…');
      await fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Block Ada?' })).getByRole('button', { name: 'Block' }));
      expect(commands.block).toHaveBeenCalledWith(ADA, false);
      await waitFor(() => expect(texts()).toEqual(['bob one']));
      expect(commands.timeline).toHaveBeenCalledTimes(1);
      // The node purged them; a fresh load agrees.
      expect(s.posts.some((p) => p.author === ADA)).toBe(false);
      expect(s.following).toEqual([BOB]);
    });

    it('drops a muted author’s posts at once, also from the page kept for the next visit', async () => {
      const t = Date.now();
      addPost(s, { author: ADA, text: 'ada one', created_at: t });
      addPost(s, { author: BOB, text: 'bob one', created_at: t - 1000 });
      const { unmount } = render(Home);
      await waitFor(() => expect(texts()).toEqual(['ada one', 'bob one']));
      await fromMenuOf('bob one', 'Mute author');
      expect(commands.mute).toHaveBeenCalledWith(BOB, false);
      await waitFor(() => expect(texts()).toEqual(['ada one']));
      unmount();
      expect(getSnapshot('home')?.posts.map((p) => p.text)).toEqual(['ada one']);
    });

    it('shows posts a subscribed list warns about covered, and leaves out hidden ones', async () => {
      const t = Date.now();
      const covered = addPost(s, { author: ADA, text: 'miracle tea', created_at: t });
      addPost(s, { author: BOB, text: 'spam spam', created_at: t - 1000 });
      addPost(s, { author: BOB, text: 'talking crypto', created_at: t - 2000 });
      addPost(s, { author: BOB, text: 'plain', created_at: t - 3000 });
      addList(s, 'Spam watch', {
        entries: [entry(covered.id, ['misleading'], 'a hoax'), entry(BOB, ['spam'])],
        subscribe: { hide: [], warn: ['misleading'] },
      });
      s.words = [{ target: 'crypto', name: null, public: false, since: t }];
      render(Home);
      await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
      expect(screen.getByTestId('post-cover')).toHaveTextContent(
        'covered by list “Spam watch”: misleading (this post) — a hoax',
      );
      expect(texts()).toEqual(['spam spam', 'plain']);
      await fireEvent.click(screen.getByRole('button', { name: 'Show post' }));
      expect(texts()).toEqual(['miracle tea', 'spam spam', 'plain']);
    });
  });
});
