import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, useReadyAccount } from '../../test/helpers';
import Search from '../Search.svelte';

describe('Search', () => {
  beforeEach(() => {
    const s = useReadyAccount();
    addPost(s, { author: ADA, text: 'Un café au lait' });
    addPost(s, { author: BOB, text: 'Tea please' });
  });

  it('searches on Enter and shows results as post cards', async () => {
    render(Search);
    const input = screen.getByTestId('search-input');
    await fireEvent.input(input, { target: { value: 'cafe' } });
    await fireEvent.submit(input.closest('form')!);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    expect(commands.search).toHaveBeenCalledWith('cafe', 50);
    expect(screen.getByTestId('post-text')).toHaveTextContent('Un café au lait');
  });

  it('has an empty state for no query and for no match', async () => {
    render(Search);
    expect(screen.getByText(/Search your posts/)).toBeInTheDocument();
    const input = screen.getByTestId('search-input');
    await fireEvent.input(input, { target: { value: 'zzz' } });
    await fireEvent.submit(input.closest('form')!);
    expect(await screen.findByText('No posts match “zzz”')).toBeInTheDocument();
  });

  it('runs the query it was opened with', async () => {
    render(Search, { query: 'tea' });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Tea please'));
    expect(screen.getByTestId('search-input')).toHaveValue('tea');
  });
});
