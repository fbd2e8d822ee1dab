import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { clearSnapshots } from '$lib/listcache';
import { router } from '$lib/router.svelte';
import type { FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, useReadyAccount } from '../../test/helpers';
import Search from '../Search.svelte';

/** Types `text` in the search field and presses Enter. */
async function search(text: string): Promise<void> {
  const input = screen.getByTestId('search-input');
  await fireEvent.input(input, { target: { value: text } });
  await fireEvent.submit(input.closest('form')!);
}

describe('Search', () => {
  let s: FakeState;
  beforeEach(() => {
    s = useReadyAccount();
    router.reset({ name: 'search', query: '' });
    clearSnapshots();
    addPost(s, { author: ADA, text: 'Un café au lait' });
    addPost(s, { author: BOB, text: 'Tea please #thé' });
  });

  it('searches on Enter and shows results as post cards', async () => {
    render(Search);
    await search('cafe');
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    expect(commands.search).toHaveBeenCalledWith('cafe', 12, null);
    expect(screen.getByTestId('post-text')).toHaveTextContent('Un café au lait');
    expect(router.current).toEqual({ name: 'search', query: 'cafe' });
  });

  it('counts a reply written from a result card on that card, the results staying as they are', async () => {
    render(Search);
    await search('cafe');
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    await fireEvent.click(screen.getByTestId('reply-button'));
    const box = screen.getByRole('textbox', { name: 'Reply to Ada' });
    await fireEvent.input(box, { target: { value: 'Volontiers !' } });
    await fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Reply (1 reply)' })).toBeVisible());
    expect(screen.getAllByTestId('post')).toHaveLength(1);
  });

  it('runs the same words again on Enter, showing what arrived since', async () => {
    render(Search);
    await search('tea');
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    addPost(s, { author: ADA, text: 'More tea' });
    await search('tea');
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
  });

  it('has an empty state for no query and for no match', async () => {
    render(Search);
    expect(screen.getByText(/Search your posts/)).toBeInTheDocument();
    await search('zzz');
    expect(await screen.findByText('No posts match “zzz”')).toBeInTheDocument();
    expect(
      screen.getByText(/finds the words it begins from 4 letters/),
      'three letters may be a word not yet finished',
    ).toBeInTheDocument();
    await search('zzzz');
    expect(await screen.findByText('No posts match “zzzz”')).toBeInTheDocument();
    expect(screen.getByText('Try fewer or different words.'), 'four letters were searched as begun').toBeInTheDocument();
    await search('#zz');
    expect(await screen.findByText('No posts match “#zz”')).toBeInTheDocument();
    expect(screen.getByText('Try fewer or different words.'), 'a hashtag is never begun').toBeInTheDocument();
  });

  it('runs the query it was opened with', async () => {
    render(Search, { query: 'tea' });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Tea please'));
    expect(screen.getByTestId('search-input')).toHaveValue('tea');
  });

  it('loads the next page of matches from the cursor of the last, every match once', async () => {
    const t = Date.now();
    for (let i = 0; i < 20; i++) addPost(s, { author: ADA, text: `rain ${i}`, created_at: t - i * 60_000 });
    render(Search, { query: 'rain' });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
    await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(20));
    const texts = screen.getAllByTestId('post-text').map((e) => e.textContent);
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `rain ${i}`));
    const calls = vi.mocked(commands.search).mock.calls;
    expect(calls[calls.length - 1]?.[2], 'the second page asks from a cursor').not.toBeNull();
    expect(screen.queryByText(/Showing the first/)).not.toBeInTheDocument();
  });

  it('shows people whose name a word begins, accents ignored, and opens their profile', async () => {
    s.accounts.set(BOB, { account: BOB, name: 'Béatrice Dupont', bio: null, avatar: null });
    render(Search);
    await search('bea');
    const person = await screen.findByTestId('search-person');
    expect(person).toHaveTextContent('Béatrice Dupont');
    await fireEvent.click(person);
    expect(router.current).toEqual({ name: 'profile', account: BOB });
  });

  it('does not look for people for a hashtag', async () => {
    render(Search);
    await search('#the');
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    expect(commands.peopleNamed).not.toHaveBeenCalled();
    expect(screen.queryByTestId('search-people')).not.toBeInTheDocument();
  });

  it('opens an account or a post whose id is searched', async () => {
    const first = render(Search);
    await search(ADA);
    await fireEvent.click(await screen.findByTestId('search-open-id'));
    expect(router.current).toEqual({ name: 'profile', account: ADA });
    first.unmount();

    const post = addPost(s, { author: ADA, text: 'A post to open' });
    router.reset({ name: 'search', query: '' });
    render(Search);
    await search(post.id);
    const open = await screen.findByTestId('search-open-id');
    expect(screen.queryByText(/No posts match/), 'an id is not searched as text').toBeNull();
    expect(commands.search).not.toHaveBeenCalledWith(post.id, expect.anything(), expect.anything());
    await fireEvent.click(open);
    expect(router.current).toEqual({ name: 'thread', post: post.id });
  });

  it('follows a change of query from outside (a hashtag clicked in a result, or back)', async () => {
    const { rerender } = render(Search, { query: 'cafe' });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Un café au lait'));
    await rerender({ query: '#thé' });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Tea please'));
    expect(screen.getByTestId('search-input')).toHaveValue('#thé');
  });
});
