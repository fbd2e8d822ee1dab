import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import { session } from '$lib/session.svelte';
import Profile from '../Profile.svelte';

let s: FakeState;

describe('Profile', () => {
  beforeEach(() => {
    s = useReadyAccount();
    addPost(s, { author: ADA, text: 'Ada writes' });
    addPost(s, { author: ME, text: 'I write' });
  });

  it('shows another person with counts, their feed and a follow toggle; no block or mute', async () => {
    s.following = [BOB];
    render(Profile, { account: ADA });
    expect(await screen.findByRole('heading', { level: 2, name: 'Ada' })).toBeInTheDocument();
    expect(screen.getByText('Engines')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Profile of Ada' })).toHaveTextContent('1 post 0 following');
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Ada writes'));
    expect(commands.feed).toHaveBeenCalledWith(ADA, 30, null);
    expect(screen.queryByRole('button', { name: /block|mute/i })).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Follow' }));
    expect(commands.follow).toHaveBeenCalledWith(ADA);
    const following = await screen.findByRole('button', { name: 'Following' });
    await fireEvent.click(following);
    expect(commands.unfollow).toHaveBeenCalledWith(ADA);
    expect(await screen.findByRole('button', { name: 'Follow' })).toBeInTheDocument();
  });

  it('edits the own name and bio with setProfile', async () => {
    render(Profile, { account: null });
    await fireEvent.click(await screen.findByRole('button', { name: /Edit profile/ }));
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'New Me' } });
    await fireEvent.input(screen.getByLabelText('Bio'), { target: { value: 'Gardener' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('heading', { level: 2, name: 'New Me' })).toBeInTheDocument());
    expect(commands.setProfile).toHaveBeenCalledWith({ name: 'New Me', bio: 'Gardener', avatar: null });
    expect(screen.getByText('Gardener')).toBeInTheDocument();
    expect(session.name).toBe('New Me');
  });
});
