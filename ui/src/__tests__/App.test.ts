import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend, commands } from '../test/fake-bindings';
import { ADA, addList, addPost, BOB, CAROL, ME, readyState } from '../test/helpers';
import { moderation } from '$lib/moderation.svelte';
import { idleLock } from '$lib/idlelock.svelte';
import { clearSnapshots } from '$lib/listcache';
import { router } from '$lib/router.svelte';
import { session } from '$lib/session.svelte';
import { toasts } from '$lib/toasts.svelte';
import { updates } from '$lib/updates.svelte';
import { zoom } from '$lib/zoom.svelte';
import { fakeAvailable } from '../dev/fake-backend';
import App from '../App.svelte';

function key(k: string, target: Element | Window = window): void {
  fireEvent.keyDown(target, { key: k });
}

describe('App', () => {
  beforeEach(() => {
    updates.reset();
    router.reset();
    clearSnapshots();
    toasts.clear();
    session.status = null;
  });

  it('starts with onboarding when there is no account', async () => {
    backend.reset();
    render(App);
    expect(await screen.findByTestId('onboarding-create')).toBeInTheDocument();
    expect(screen.getByTestId('onboarding-restore')).toBeInTheDocument();
  });

  it('explains a data directory it cannot use, with the problem and the path', async () => {
    const s = readyState();
    s.phase = 'failed';
    backend.reset(s);
    render(App);
    const box = await screen.findByTestId('home-failed');
    expect(box).toHaveTextContent('The data directory is not writable.');
    expect(box).toHaveTextContent(s.home);
    expect(box).toHaveTextContent('KITH_HOME');
  });

  it('asks for the passphrase when locked, then opens the timeline', async () => {
    const s = readyState();
    s.phase = 'locked';
    addPost(s, { author: ADA, text: 'hello' });
    backend.reset(s);
    session.name = null;
    render(App);
    // Named before the passphrase: the profile is read from the home.
    expect(await screen.findByRole('heading', { level: 1 })).toHaveTextContent(`Welcome back, ${s.me.name}`);
    await fireEvent.input(await screen.findByTestId('unlock-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('unlock-button'));
    expect(await screen.findByTestId('timeline')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('hello'));
  });

  it('locks from the sidebar or g l: the unlock screen, commands refused, and back to the timeline with the passphrase', async () => {
    const s = readyState();
    addPost(s, { author: ADA, text: 'hello' });
    backend.reset(s);
    render(App);
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('hello'));
    await fireEvent.click(screen.getByTestId('lock-button'));
    expect(await screen.findByTestId('unlock-input')).toBeInTheDocument();
    expect(screen.getByTestId('locked-note')).toHaveTextContent('goes on sharing');
    expect(commands.lock).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('timeline')).not.toBeInTheDocument();
    expect((await commands.timeline(10, null)).status, 'the backend refuses while locked').toBe('error');
    addPost(s, { author: BOB, text: 'arrived while locked' });
    await fireEvent.input(screen.getByTestId('unlock-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('unlock-button'));
    await waitFor(() =>
      expect(screen.getAllByTestId('post-text').map((e) => e.textContent)).toEqual(['arrived while locked', 'hello']),
    );

    key('g');
    key('l');
    expect(await screen.findByTestId('unlock-input')).toBeInTheDocument();
    expect(commands.lock).toHaveBeenCalledTimes(2);
  });

  it('opens the invite screen with the code of an invite link Kith was opened with, and follows only once accepted', async () => {
    const s = readyState();
    addPost(s, { author: ADA, text: 'hello' });
    backend.reset(s);
    render(App);
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('hello'));
    const link = `kith:${CAROL}@/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWCarol`;
    backend.openWithLink(link);
    await waitFor(() => expect(screen.getByTestId('accept-invite-input')).toHaveValue(link));
    expect(screen.getByTestId('invite-from-link')).toHaveTextContent('opened with this invite link');
    expect(document.activeElement).toBe(screen.getByTestId('accept-invite-input'));
    expect(commands.acceptInvite).not.toHaveBeenCalled();
    expect(backend.state.following).not.toContain(CAROL);
    await fireEvent.click(screen.getByTestId('accept-invite-button'));
    await waitFor(() => expect(screen.getByTestId('accept-invite-result')).toHaveTextContent('Following'));
    expect(commands.acceptInvite).toHaveBeenCalledWith(link);
    expect(backend.state.following).toContain(CAROL);
    expect(screen.queryByTestId('invite-from-link')).not.toBeInTheDocument();
  });

  it('keeps an invite link opened while locked until the passphrase, then shows it', async () => {
    const s = readyState();
    s.phase = 'locked';
    backend.reset(s);
    const link = `kith:${BOB}@/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWBob`;
    // Opened with the link: the app starts locked.
    s.openedInvite = { code: link, problem: null };
    render(App);
    expect(await screen.findByTestId('unlock-input')).toBeInTheDocument();
    expect(commands.takeOpenedInvite, 'not taken by the locked window').not.toHaveBeenCalled();
    await fireEvent.input(screen.getByTestId('unlock-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('unlock-button'));
    await waitFor(() => expect(screen.getByTestId('accept-invite-input')).toHaveValue(link));
    expect(router.current).toEqual({ name: 'invite' });
    // Back leaves it for where the window was.
    expect(router.back()).toBe(true);
    expect(router.current).toEqual({ name: 'home' });
  });

  it('zooms with Ctrl + = and Ctrl + 0 on any screen, the unlock screen too, starting from the saved level', async () => {
    const s = readyState();
    s.phase = 'locked';
    s.settings = { ...s.settings, zoom: 125 };
    backend.reset(s);
    render(App);
    await screen.findByTestId('unlock-input');
    await waitFor(() => expect(zoom.percent).toBe(125));
    fireEvent.keyDown(screen.getByTestId('unlock-input'), { key: '=', ctrlKey: true });
    await waitFor(() => expect(backend.state.settings.zoom).toBe(150));
    expect(await screen.findByText('Zoom 150 %')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: '0', ctrlKey: true });
    await waitFor(() => expect(backend.state.settings.zoom).toBe(100));
  });

  it('quits with Ctrl + Q on any screen, and only with Ctrl', async () => {
    const s = readyState();
    s.phase = 'locked';
    backend.reset(s);
    render(App);
    const input = await screen.findByTestId('unlock-input');
    fireEvent.keyDown(input, { key: 'q' });
    fireEvent.keyDown(input, { key: 'q', ctrlKey: true, altKey: true });
    expect(commands.quit).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'q', ctrlKey: true });
    expect(commands.quit).toHaveBeenCalledTimes(1);
  });

  it('locks itself after the wait chosen in Settings', async () => {
    const s = readyState();
    s.settings = { ...s.settings, lockAfterMinutes: 5 };
    addPost(s, { author: ADA, text: 'hello' });
    backend.reset(s);
    render(App);
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('hello'));
    await waitFor(() => expect(idleLock.minutes).toBe(5));
    idleLock.check(Date.now() + 4 * 60_000);
    expect(screen.queryByTestId('unlock-input')).not.toBeInTheDocument();
    idleLock.check(Date.now() + 5 * 60_000);
    expect(await screen.findByTestId('unlock-input')).toBeInTheDocument();
    expect(screen.getByTestId('locked-note')).toBeInTheDocument();
  });

  describe('when ready', () => {
    beforeEach(() => {
      const s = readyState();
      s.phase = 'ready';
      const t = Date.now();
      addPost(s, { author: ADA, text: 'first', created_at: t });
      addPost(s, { author: BOB, text: 'second', created_at: t - 1000 });
      backend.reset(s);
    });

    it('has a labelled sidebar whose buttons open each screen', async () => {
      render(App);
      await screen.findByTestId('timeline');
      expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
      expect(screen.getByRole('main')).toBeInTheDocument();
      await fireEvent.click(screen.getByTestId('nav-people'));
      expect(await screen.findByRole('heading', { level: 1, name: 'People & sync' })).toBeInTheDocument();
      expect(screen.getByTestId('nav-people')).toHaveAttribute('aria-current', 'page');
      for (const [id, title] of [
        ['nav-search', 'Search'],
        ['nav-profile', 'Me'],
        ['nav-invite', 'Invite'],
        ['nav-backup', 'Backup & USB'],
        ['nav-moderation', 'Moderation'],
        ['nav-share', 'Share Kith'],
        ['nav-settings', 'Settings'],
        ['nav-home', 'Home'],
      ] as const) {
        await fireEvent.click(screen.getByTestId(id));
        expect(await screen.findByRole('heading', { level: 1, name: title })).toBeInTheDocument();
      }
    });

    it('follows keyboard shortcuts: g s, /, n, j/k, Enter and Escape', async () => {
      render(App);
      await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));

      key('g');
      key('s');
      expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();

      key('/');
      await waitFor(() => expect(screen.getByTestId('search-input')).toHaveFocus());
      key('Escape', screen.getByTestId('search-input'));
      expect(screen.getByTestId('search-input')).not.toHaveFocus();

      key('n');
      await waitFor(() => expect(screen.getByTestId('composer-text')).toHaveFocus());
      (document.activeElement as HTMLElement).blur();

      await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
      key('j');
      const [first, second] = screen.getAllByTestId('post');
      expect(first).toHaveFocus();
      key('j');
      expect(second).toHaveFocus();
      key('k');
      expect(first).toHaveFocus();

      key('Enter', first!);
      expect(await screen.findByTestId('thread')).toBeInTheDocument();
      key('Escape');
      expect(await screen.findByTestId('timeline')).toBeInTheDocument();
    });

    it('shows errors as toasts with the ApiError message', async () => {
      commands.react.mockResolvedValueOnce({ status: 'error', error: { code: 'io', message: 'Could not save the reaction.' } });
      render(App);
      await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(2));
      await fireEvent.click(screen.getAllByRole('button', { name: 'React' })[0]!);
      await fireEvent.click(screen.getByRole('button', { name: 'React with Heart' }));
      const toast = await screen.findByTestId('toast');
      expect(toast).toHaveTextContent('Could not save the reaction.');
      expect(toast.parentElement).toHaveAttribute('aria-live', 'polite');
    });

    it('shows an offered update above every screen and marks Share Kith; "g k" opens it', async () => {
      backend.state.release.available = fakeAvailable('0.2.0', 2);
      render(App);
      await screen.findByTestId('timeline');
      expect(await screen.findByTestId('update-banner-text')).toHaveTextContent('Kith 0.2.0 is available (from 2 peers)');
      const link = screen.getByRole('button', { name: 'Share Kith' });
      expect(link).toHaveAttribute('data-testid', 'nav-share');
      expect(link).toHaveAccessibleDescription('Kith 0.2.0 is available');
      expect(screen.getByTestId('update-dot')).toBeInTheDocument();
      expect(commands.updateDownload).not.toHaveBeenCalled();

      key('g');
      key('k');
      expect(await screen.findByRole('heading', { level: 1, name: 'Share Kith' })).toBeInTheDocument();
      expect(link).toHaveAttribute('aria-current', 'page');
      expect(await screen.findByRole('heading', { level: 2, name: 'Updates' })).toBeInTheDocument();
      expect(screen.getByTestId('update-banner')).toBeInTheDocument();
      expect(commands.updateDownload).not.toHaveBeenCalled();
      expect(commands.updateInstall).not.toHaveBeenCalled();
    });

    it('counts open reports in the sidebar; "g m" opens Moderation, and Reports from there', async () => {
      moderation.reset();
      const s = backend.state;
      const list = addList(s, 'Tea room rules', { owner: ME });
      s.inbox = [
        {
          id: 'r1',
          list,
          list_name: 'Tea room rules',
          reporter: BOB,
          reporter_name: 'Bob',
          target: ADA,
          labels: ['spam'],
          text: '',
          created_at: Date.now(),
          status: 'open',
        },
      ];
      render(App);
      const badge = await screen.findByTestId('open-reports-badge');
      expect(badge).toHaveTextContent('1');
      expect(screen.getByTestId('nav-moderation')).toHaveAccessibleName(/Moderation\s+1\s+open report/);

      key('g');
      key('m');
      expect(await screen.findByRole('heading', { level: 1, name: 'Moderation' })).toBeInTheDocument();
      await fireEvent.click(await screen.findByTestId('reports-link'));
      expect(await screen.findByRole('heading', { level: 1, name: 'Reports' })).toBeInTheDocument();
      expect(screen.getByTestId('nav-moderation')).toHaveAttribute('aria-current', 'page');
      await fireEvent.click(within(await screen.findByTestId('report')).getByRole('button', { name: /^Accept/ }));
      await waitFor(() => expect(screen.queryByTestId('open-reports-badge')).toBeNull());
    });
  });
});
