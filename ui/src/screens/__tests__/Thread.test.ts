import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend, commands } from '../../test/fake-bindings';
import { moderation } from '$lib/moderation.svelte';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import Thread from '../Thread.svelte';

describe('Thread', () => {
  let ids: Record<string, string>;

  beforeEach(() => {
    const s = useReadyAccount();
    const root = addPost(s, { author: ADA, text: 'root', created_at: 1000 });
    const a = addPost(s, { author: BOB, text: 'reply a', reply_to: root.id, created_at: 2000 });
    const b = addPost(s, { author: ME, text: 'reply b', reply_to: root.id, created_at: 3000 });
    const a1 = addPost(s, { author: ADA, text: 'reply to a', reply_to: a.id, created_at: 4000 });
    const gone = addPost(s, { author: BOB, text: null, deleted: true, reply_to: b.id, created_at: 5000 });
    ids = { root: root.id, a: a.id, b: b.id, a1: a1.id, gone: gone.id };
  });

  it('shows ancestors and replies as an indented tree, the opened post highlighted', async () => {
    render(Thread, { post: ids.a! });
    await waitFor(() => expect(screen.getAllByTestId('post').length).toBeGreaterThan(0));
    expect(commands.thread).toHaveBeenCalledWith(ids.a);
    const cards = screen.getAllByTestId('post');
    // The fake node returns the ancestors and the replies of the opened post.
    expect(cards.map((c) => c.dataset.postId)).toEqual([ids.root, ids.a, ids.a1]);
    const depth = (el: HTMLElement): string | undefined => el.parentElement?.style.getPropertyValue('--depth');
    expect(cards.map(depth)).toEqual(['0', '1', '2']);
    expect(cards[1]).toHaveClass('highlight');
    expect(screen.getByTestId('thread')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Reply to Bob' })).toBeInTheDocument();
  });

  it('shows a deleted reply as "deleted"', async () => {
    render(Thread, { post: ids.b! });
    expect(await screen.findByText('This post was deleted.')).toBeInTheDocument();
  });

  it('reloads when new posts arrive', async () => {
    render(Thread, { post: ids.root! });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(5));
    addPost(backend.state, { author: BOB, text: 'late reply', reply_to: ids.root, created_at: 6000 });
    backend.emit('postsArrived', { account: BOB, posts: ['x'], newInHome: ['x'] });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(6));
  });

  it('reloads when a post it shows is reacted to elsewhere, and not for a post it does not show', async () => {
    render(Thread, { post: ids.a! });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
    commands.thread.mockClear();
    backend.reactedElsewhere(BOB, ids.b!, '👍'); // a sibling reply, not in this thread's view
    await new Promise((r) => setTimeout(r, 20));
    expect(commands.thread).not.toHaveBeenCalled();
    backend.reactedElsewhere(BOB, ids.a1!, '❤️');
    const card = (): HTMLElement =>
      screen.getAllByTestId('post').find((c) => c.dataset.postId === ids.a1)!;
    await waitFor(() => expect(within(card()).getByRole('button', { name: '❤️ 1, react with ❤️' })).toBeVisible());
    expect(commands.thread).toHaveBeenCalledTimes(1);
  });

  it('says when the post is not here yet', async () => {
    render(Thread, { post: 'kithpost1unknown' });
    expect(await screen.findByText('Not here yet')).toBeInTheDocument();
  });

  it('shows a muted reply as a placeholder with its reasons, and reloads after a block', async () => {
    moderation.reset();
    backend.state.words = [{ target: 'a', name: null, public: false, since: 0 }];
    render(Thread, { post: ids.root! });
    await waitFor(() => expect(screen.getAllByTestId('post-hidden').length).toBeGreaterThan(0));
    const hidden = screen.getAllByTestId('post-hidden');
    // "reply a" and "reply to a" hold the muted word; the text never reaches the page.
    expect(hidden.map((h) => h.textContent?.trim())).toEqual([
      'Hidden: you muted the word “a”',
      'Hidden: you muted the word “a”',
    ]);
    expect(screen.queryByText('reply a')).toBeNull();
    expect(screen.getAllByTestId('post-text').map((t) => t.textContent)).toEqual(['root', 'reply b']);

    const bobs = screen.getAllByTestId('post').find((c) => c.dataset.postId === ids.a)!;
    await fireEvent.click(within(bobs).getByRole('button', { name: 'More actions for this post' }));
    await fireEvent.click(within(bobs).getByRole('menuitem', { name: 'Block author…' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Block' }));
    expect(commands.block).toHaveBeenCalledWith(BOB, false);
    await waitFor(() => expect(screen.queryByText((_, el) => el?.getAttribute('data-post-id') === ids.a)).toBeNull());
    expect(commands.thread).toHaveBeenCalledTimes(2);
  });
});
