// The person's own changes made on one screen reach the lists kept from an
// earlier visit of another (Home, Search), without fetching those lists again.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import { clearSnapshots } from '$lib/listcache';
import { live } from '$lib/live.svelte';
import { clearPostCache } from '$lib/quotes';
import Home from '../Home.svelte';
import Search from '../Search.svelte';
import Thread from '../Thread.svelte';

let s: FakeState;
let mine: string;
let ada: string;

/** Home with Ada's post and an own one; left again, so it is kept. */
async function visitHomeAndLeave(): Promise<void> {
  const { unmount } = render(Home);
  await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
  unmount();
}

/** The thread of `post`, for `act` on its card there; left again. */
async function inThread(post: string, act: (card: HTMLElement) => Promise<void>): Promise<void> {
  const { unmount } = render(Thread, { post });
  const card = await waitFor(() => {
    const c = screen.getAllByTestId('post').find((x) => x.dataset.postId === post);
    if (!c) throw new Error('no card');
    return c;
  });
  await act(card);
  unmount();
}

/** Home again: what its cards say, once on screen. */
async function homeTexts(): Promise<string[]> {
  render(Home);
  await waitFor(() => expect(screen.getAllByTestId('post').length).toBeGreaterThan(0));
  return screen.getAllByTestId('post').map((c) => within(c).queryByTestId('post-text')?.textContent ?? '');
}

describe('own changes reach the lists kept from an earlier visit', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearSnapshots();
    clearPostCache();
    live.reset();
    const t = Date.now();
    mine = addPost(s, { author: ME, text: 'my words', created_at: t - 60_000 }).id;
    ada = addPost(s, { author: ADA, text: 'Ada’s words', created_at: t - 120_000 }).id;
    addPost(s, { author: BOB, text: 'Bob’s words', created_at: t - 180_000 });
  });

  it('an own post edited in its thread shows edited on Home, which is not fetched again', async () => {
    await visitHomeAndLeave();
    await inThread(mine, async (card) => {
      await fireEvent.click(within(card).getByTestId('edit-button'));
      await fireEvent.input(within(card).getByRole('textbox', { name: 'Edit post' }), { target: { value: 'better words' } });
      await fireEvent.click(within(card).getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(within(card).getByTestId('post-text')).toHaveTextContent('better words'));
    });
    commands.timeline.mockClear();
    expect(await homeTexts()).toEqual(['better words', 'Ada’s words', 'Bob’s words']);
    expect(screen.getAllByTestId('post')[0]).toHaveTextContent('edited');
    expect(commands.timeline).not.toHaveBeenCalled();
  });

  it('an own post deleted in its thread is gone from Home', async () => {
    await visitHomeAndLeave();
    await inThread(mine, async (card) => {
      await fireEvent.click(within(card).getByRole('button', { name: 'Delete' }));
      await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
      await waitFor(() => expect(within(card).getByText('This post was deleted.')).toBeInTheDocument());
    });
    commands.timeline.mockClear();
    expect(await homeTexts()).toEqual(['Ada’s words', 'Bob’s words']);
    expect(commands.timeline).not.toHaveBeenCalled();
  });

  it('a reaction given in a thread shows, as mine, on Home', async () => {
    await visitHomeAndLeave();
    await inThread(ada, async (card) => {
      await fireEvent.click(within(card).getByRole('button', { name: 'React' }));
      await fireEvent.click(await screen.findByRole('button', { name: 'React with Heart' }));
      await waitFor(() => expect(within(card).getByRole('button', { name: /❤️ 1, yours/ })).toBeInTheDocument());
    });
    await homeTexts();
    const card = screen.getAllByTestId('post')[1]!;
    expect(within(card).getByRole('button', { name: /❤️ 1, yours/ })).toHaveAttribute('aria-pressed', 'true');
  });

  it('a reply written in a thread is at the top of Home when it comes back, without loading the timeline again', async () => {
    await visitHomeAndLeave();
    await inThread(ada, async () => {
      await fireEvent.input(screen.getByRole('textbox', { name: 'Reply to Ada' }), { target: { value: 'my reply' } });
      await fireEvent.click(within(screen.getByRole('region', { name: 'Reply to this post' })).getByRole('button', { name: 'Reply' }));
      await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    });
    commands.timeline.mockClear();
    expect(await homeTexts()).toEqual(['my reply', 'my words', 'Ada’s words', 'Bob’s words']);
    expect(commands.timeline).not.toHaveBeenCalled();
  });

  it('a repost on Home shows the reposted own post as edited in its thread', async () => {
    addPost(s, { author: ADA, text: '', quote_of: mine, created_at: Date.now() - 1000 });
    const { unmount } = render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post-text').map((e) => e.textContent)).toContain('my words'));
    unmount();
    await inThread(mine, async (card) => {
      await fireEvent.click(within(card).getByTestId('edit-button'));
      await fireEvent.input(within(card).getByRole('textbox', { name: 'Edit post' }), { target: { value: 'better words' } });
      await fireEvent.click(within(card).getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(within(card).getByTestId('post-text')).toHaveTextContent('better words'));
    });
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(4));
    const repost = screen.getAllByTestId('post')[0]!;
    expect(repost).toHaveTextContent('Ada reposted');
    expect(within(repost).getByTestId('post-text')).toHaveTextContent('better words');
  });

  it('an own post deleted from Home is gone from the search results kept before', async () => {
    const search = render(Search, { query: 'words' });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
    search.unmount();
    const home = render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(3));
    const card = screen.getAllByTestId('post')[0]!;
    await fireEvent.click(within(card).getByRole('button', { name: 'Delete' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    home.unmount();
    commands.search.mockClear();
    render(Search, { query: 'words' });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    expect(screen.getAllByTestId('post-text').map((e) => e.textContent)).toEqual(['Ada’s words', 'Bob’s words']);
    expect(commands.search).not.toHaveBeenCalled();
  });
});
