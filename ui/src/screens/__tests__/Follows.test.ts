import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { fakeAccountId, type FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, CAROL, ME, useReadyAccount } from '../../test/helpers';
import { clearSnapshots } from '$lib/listcache';
import { router } from '$lib/router.svelte';
import { toasts } from '$lib/toasts.svelte';
import Follows from '../Follows.svelte';
import Home from '../Home.svelte';
import Profile from '../Profile.svelte';

let s: FakeState;
const DAN = fakeAccountId('dan');

/** The names shown in the list, in order. */
function names(): string[] {
  return screen.getAllByTestId('follows-row').map((r) => within(r).getAllByRole('button')[0]?.textContent?.trim() ?? '');
}

describe('Follows', () => {
  beforeEach(() => {
    s = useReadyAccount();
    toasts.clear();
    router.replace({ name: 'home' });
    s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
    // Ada follows Me, then Carol (held here), then Dan (not held here).
    s.followsBy.set(ADA, [ME, CAROL, DAN]);
    s.followsBy.set(CAROL, [ADA]);
  });

  it('lists whom another account follows, newest first, marking accounts not on this computer', async () => {
    render(Follows, { account: ADA, direction: 'following' });
    expect(await screen.findByTestId('follows-about')).toHaveTextContent('People Ada follows');
    expect(names()).toEqual([DAN.slice(0, 9) + '…' + DAN.slice(-4), 'Carol', 'You']);
    const [dan, carol, me] = screen.getAllByTestId('follows-row');
    expect(within(dan!).getByTestId('follows-not-held')).toHaveTextContent('Not on this computer yet');
    expect(within(carol!).queryByTestId('follows-not-held')).toBeNull();
    expect(within(me!).queryByTestId('follows-toggle')).toBeNull();
    expect(commands.follows).toHaveBeenCalledWith(ADA, 'following', 100, null);
  });

  it('loads the home timeline afresh after an unfollow here: the kept one loses the unfollowed person’s posts', async () => {
    clearSnapshots();
    s.following = [ADA];
    addPost(s, { author: ADA, text: 'from Ada', created_at: 2000 });
    addPost(s, { author: CAROL, text: 'from Carol', created_at: 1000 });
    const texts = (): string[] => screen.getAllByTestId('post-text').map((e) => e.textContent ?? '');
    const home = render(Home);
    await waitFor(() => expect(texts()).toEqual(['from Ada']));
    home.unmount();

    const follows = render(Follows, { account: null, direction: 'following' });
    const ada = (await screen.findAllByTestId('follows-row'))[0]!;
    await fireEvent.click(within(ada).getByTestId('follows-toggle'));
    await waitFor(() => expect(s.following).toEqual([]));
    follows.unmount();
    render(Home);
    expect(await screen.findByText('Your timeline is quiet')).toBeInTheDocument();
  });

  it('follows and unfollows from the list, and says where a feed not held comes from', async () => {
    render(Follows, { account: ADA, direction: 'following' });
    const dan = (await screen.findAllByTestId('follows-row'))[0]!;
    const toggle = within(dan).getByTestId('follows-toggle');
    expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await fireEvent.click(toggle);
    expect(commands.follow).toHaveBeenCalledWith(DAN);
    await waitFor(() => expect(toggle).toHaveAttribute('aria-pressed', 'true'));
    expect(toggle).toHaveTextContent('Following');
    expect(toasts.items[toasts.items.length - 1]?.message).toContain('arrive from the first peer that carries them');
    expect(s.following).toContain(DAN);

    await fireEvent.click(toggle);
    expect(commands.unfollow).toHaveBeenCalledWith(DAN);
    await waitFor(() => expect(toggle).toHaveAttribute('aria-pressed', 'false'));
  });

  it('lists the feeds here that follow an account, and opens a profile from a row', async () => {
    render(Follows, { account: ADA, direction: 'followers' });
    expect(await screen.findByTestId('follows-about')).toHaveTextContent('among the feeds on this computer');
    expect(names()).toEqual(['You', 'Carol']);
    await fireEvent.click(screen.getByRole('button', { name: 'Carol' }));
    expect(router.current).toEqual({ name: 'profile', account: CAROL });
  });

  it('says so when a list is empty, own and others’', async () => {
    s.followsBy.set(ADA, [CAROL]);
    const own = render(Follows, { account: null, direction: 'followers' });
    expect(await screen.findByTestId('follows-empty')).toHaveTextContent('No feed on this computer follows you yet');
    own.unmount();
    render(Follows, { account: BOB, direction: 'following' });
    expect(await screen.findByTestId('follows-empty')).toHaveTextContent('Bob follows no one, as far as this computer knows');
  });

  it('leaves out blocked and muted accounts, and pages with Show more', async () => {
    const many = Array.from({ length: 130 }, (_, i) => fakeAccountId(`friend${i}`));
    s.followsBy.set(BOB, many);
    s.mutes = [{ target: many[129]!, name: null, public: false, since: 1 }];
    render(Follows, { account: BOB, direction: 'following' });
    await screen.findByTestId('follows-list');
    expect(screen.getAllByTestId('follows-row')).toHaveLength(99);
    await fireEvent.click(screen.getByTestId('follows-more'));
    await waitFor(() => expect(screen.getAllByTestId('follows-row')).toHaveLength(129));
    expect(screen.queryByTestId('follows-more')).toBeNull();
    expect(commands.follows).toHaveBeenLastCalledWith(BOB, 'following', 100, many[30]);
  });

  it('shows an error with a way to try again', async () => {
    commands.follows.mockResolvedValueOnce({ status: 'error', error: { code: 'store', message: 'disk on fire' } });
    render(Follows, { account: ADA, direction: 'following' });
    expect(await screen.findByRole('alert')).toHaveTextContent('disk on fire');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('follows-list')).toBeInTheDocument();
  });
});

describe('Profile counts', () => {
  beforeEach(() => {
    s = useReadyAccount();
    router.replace({ name: 'home' });
    s.followsBy.set(ADA, [ME, BOB]);
  });

  it('open the lists of following and followers', async () => {
    render(Profile, { account: ADA });
    expect(await screen.findByTestId('follows-you')).toHaveTextContent('Follows you');
    const following = await screen.findByTestId('profile-following');
    expect(following).toHaveTextContent('2 following');
    expect(screen.getByTestId('profile-followers')).toHaveTextContent('1 follower');
    await fireEvent.click(following);
    expect(router.current).toEqual({ name: 'follows', account: ADA, direction: 'following' });
    await fireEvent.click(screen.getByTestId('profile-followers'));
    expect(router.current).toEqual({ name: 'follows', account: ADA, direction: 'followers' });
  });

  it('say nothing of following you when the account does not', async () => {
    render(Profile, { account: BOB });
    await screen.findByTestId('profile-following');
    expect(screen.queryByTestId('follows-you')).toBeNull();
  });

  it('say when an account’s feed is not on this computer yet', async () => {
    const dan = fakeAccountId('dan');
    render(Profile, { account: dan });
    expect(await screen.findByTestId('profile-not-held')).toHaveTextContent(
      'is on this computer yet. Follow to fetch their feed',
    );
  });
});
