import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addList, addPost, BOB, entry, ME, useReadyAccount } from '../../test/helpers';
import { moderation } from '$lib/moderation.svelte';
import { session } from '$lib/session.svelte';
import { toasts } from '$lib/toasts.svelte';
import Profile from '../Profile.svelte';

let s: FakeState;

describe('Profile', () => {
  beforeEach(() => {
    s = useReadyAccount();
    addPost(s, { author: ADA, text: 'Ada writes' });
    addPost(s, { author: ME, text: 'I write' });
  });

  it('shows another person with counts, their feed and a follow toggle', async () => {
    s.following = [BOB];
    render(Profile, { account: ADA });
    expect(await screen.findByRole('heading', { level: 2, name: 'Ada' })).toBeInTheDocument();
    expect(screen.getByText('Engines')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Profile of Ada' })).toHaveTextContent('1 post 0 following');
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Ada writes'));
    expect(commands.feed).toHaveBeenCalledWith(ADA, 12, null);
    expect(screen.getByTestId('mute-button')).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getByTestId('block-button')).toHaveAttribute('aria-pressed', 'false');

    await fireEvent.click(screen.getByRole('button', { name: 'Follow' }));
    expect(commands.follow).toHaveBeenCalledWith(ADA);
    const following = await screen.findByRole('button', { name: 'Following' });
    await fireEvent.click(following);
    expect(commands.unfollow).toHaveBeenCalledWith(ADA);
    expect(await screen.findByRole('button', { name: 'Follow' })).toBeInTheDocument();
  });

  it('counts the own follow among the followers once followed, and no more once unfollowed', async () => {
    s.following = [BOB];
    render(Profile, { account: ADA });
    const followers = await screen.findByTestId('profile-followers');
    expect(followers).toHaveTextContent('0 followers');
    await fireEvent.click(screen.getByRole('button', { name: 'Follow' }));
    await waitFor(() => expect(screen.getByTestId('profile-followers')).toHaveTextContent('1 follower'));
    await fireEvent.click(await screen.findByRole('button', { name: 'Following' }));
    await waitFor(() => expect(screen.getByTestId('profile-followers')).toHaveTextContent('0 followers'));
  });

  it('counts the own posts again after one is deleted, or a reply posted, from its card on the own profile', async () => {
    addPost(s, { author: ME, text: 'I write more' });
    render(Profile, { account: null });
    const stats = (): HTMLElement => screen.getByRole('region', { name: 'Profile of Me' });
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
    expect(stats()).toHaveTextContent('2 posts');
    const card = screen.getAllByTestId('post')[0]!;
    await fireEvent.click(within(card).getByRole('button', { name: 'Delete' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(stats()).toHaveTextContent('1 post'));
    expect(screen.getAllByTestId('post')).toHaveLength(1);

    const left = screen.getAllByTestId('post')[0]!;
    await fireEvent.click(within(left).getByTestId('reply-button'));
    await fireEvent.input(within(left).getByTestId('composer-text'), { target: { value: 'answering myself' } });
    await fireEvent.click(within(left).getByTestId('composer-submit'));
    await waitFor(() => expect(stats()).toHaveTextContent('2 posts'));
    await waitFor(() => expect(screen.getAllByTestId('post-text')[0]).toHaveTextContent('answering myself'));
  });

  it('edits the own name and bio with setProfile', async () => {
    render(Profile, { account: null });
    await fireEvent.click(await screen.findByRole('button', { name: /Edit profile/ }));
    expect(screen.queryByTestId('block-button')).toBeNull();
    expect(screen.queryByTestId('mute-button')).toBeNull();
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'New Me' } });
    await fireEvent.input(screen.getByLabelText('Bio'), { target: { value: 'Gardener' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('heading', { level: 2, name: 'New Me' })).toBeInTheDocument());
    expect(commands.setProfile).toHaveBeenCalledWith({ name: 'New Me', bio: 'Gardener', avatar: null });
    expect(screen.getByText('Gardener')).toBeInTheDocument();
    expect(session.name).toBe('New Me');
  });

  describe('moderation', () => {
    beforeEach(() => {
      moderation.reset();
      toasts.clear();
    });

    it('blocks through the confirmation: the profile says so and shows no posts', async () => {
      s.following = [ADA];
      render(Profile, { account: ADA });
      await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Ada writes'));
      await fireEvent.click(screen.getByTestId('block-button'));
      await fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Block Ada?' })).getByRole('button', { name: 'Block' }));
      expect(commands.block).toHaveBeenCalledWith(ADA, false);

      expect(await screen.findByTestId('profile-blocked')).toHaveTextContent('Ada is blocked.');
      expect(screen.getByTestId('block-button')).toHaveAttribute('aria-pressed', 'true');
      expect(screen.getByTestId('block-button')).toHaveTextContent('Blocked');
      expect(screen.queryByTestId('feed')).toBeNull();
      expect(screen.queryByTestId('post-text')).toBeNull();
      expect(screen.queryByRole('button', { name: 'Following' })).toBeNull();
      expect(s.following).toEqual([]);
    });

    it('unblocks a blocked account from its profile', async () => {
      s.blocks = [{ target: ADA, name: 'Ada', public: false, since: Date.now() }];
      render(Profile, { account: ADA });
      expect(await screen.findByTestId('blocked-no-posts')).toBeInTheDocument();
      expect(commands.feed).not.toHaveBeenCalled();
      await fireEvent.click(screen.getByTestId('block-button'));
      expect(commands.unblock).toHaveBeenCalledWith(ADA);
      await waitFor(() => expect(screen.getByTestId('block-button')).toHaveAttribute('aria-pressed', 'false'));
      expect(screen.queryByTestId('profile-blocked')).toBeNull();
      expect(await screen.findByTestId('feed')).toBeInTheDocument();
    });

    it('mutes and unmutes with a pressed toggle; the profile explains and covers the posts', async () => {
      render(Profile, { account: ADA });
      await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Ada writes'));
      await fireEvent.click(screen.getByTestId('mute-button'));
      expect(commands.mute).toHaveBeenCalledWith(ADA, false);
      await waitFor(() => expect(screen.getByTestId('mute-button')).toHaveAttribute('aria-pressed', 'true'));
      expect(screen.getByTestId('profile-moderation')).toHaveTextContent('you muted this account');
      // Their own posts stay reachable on the profile, covered.
      expect(await screen.findByTestId('post-cover')).toHaveTextContent('you muted this account');
      expect(screen.queryByTestId('post-text')).toBeNull();

      await fireEvent.click(screen.getByTestId('mute-button'));
      expect(commands.unmute).toHaveBeenCalledWith(ADA);
      await waitFor(() => expect(screen.getByTestId('mute-button')).toHaveAttribute('aria-pressed', 'false'));
      expect(screen.queryByTestId('profile-moderation')).toBeNull();
      await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Ada writes'));
    });

    it('shows what a subscribed list says about the account', async () => {
      addList(s, 'Spam watch', { entries: [entry(ADA, ['spam'], 'bulk adverts')], subscribe: { hide: [], warn: ['spam'] } });
      render(Profile, { account: ADA });
      const banner = await screen.findByTestId('profile-moderation');
      expect(banner).toHaveTextContent('Their posts are covered until you open them.');
      expect(banner).toHaveTextContent('covered by list “Spam watch”: spam — bulk adverts');
    });

    it('reports the account to a subscribed list', async () => {
      const list = addList(s, 'Spam watch', { subscribe: { hide: [], warn: ['spam'] } });
      render(Profile, { account: ADA });
      await fireEvent.click(await screen.findByTestId('report-account-button'));
      const dialog = await screen.findByRole('dialog', { name: 'Report Ada' });
      expect(await within(dialog).findByRole('radio', { name: /^Spam watch/ })).toBeChecked();
      await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Harassment' }));
      await fireEvent.click(within(dialog).getByRole('button', { name: 'Send report' }));
      expect(commands.report).toHaveBeenCalledWith(ADA, ['harassment'], '', list);
    });

    it('explains, instead of a form, that reporting needs a subscribed list', async () => {
      render(Profile, { account: ADA });
      await fireEvent.click(await screen.findByTestId('report-account-button'));
      expect(await screen.findByTestId('report-no-lists')).toHaveTextContent('You subscribe to no moderation list');
      expect(screen.queryByRole('button', { name: 'Send report' })).toBeNull();
    });
  });
});
