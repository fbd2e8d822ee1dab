import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend, commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, ME, readyState } from '../../test/helpers';
import { activity, REFRESH_MS } from '$lib/activity.svelte';
import { clearSnapshots } from '$lib/listcache';
import { router } from '$lib/router.svelte';
import { session } from '$lib/session.svelte';
import { toasts } from '$lib/toasts.svelte';
import { updates } from '$lib/updates.svelte';
import App from '../../App.svelte';
import Activity from '../Activity.svelte';

const MINUTE = 60_000;

/** A ready home where Ada replied, Bob mentioned Me and reacted, and Ada reposted. */
function withActivity() {
  const s = readyState();
  backend.reset(s);
  session.status = { phase: 'ready', home: s.home, account: ME, problem: null, name: null };
  session.setProfile('Me', null);
  const now = Date.now();
  const mine = addPost(s, { author: ME, text: 'Tea at four?', created_at: now - 60 * MINUTE });
  const reply = addPost(s, { author: ADA, text: 'Count me in', reply_to: mine.id, created_at: now - 30 * MINUTE });
  addPost(s, { author: BOB, text: `Bringing scones for @${ME}`, created_at: now - 20 * MINUTE });
  addPost(s, { author: ADA, text: null, quote_of: mine.id, created_at: now - 10 * MINUTE });
  s.reactionsBy.push({ target: mine.id, reaction: '❤️', by: BOB, at: now - 5 * MINUTE });
  // Not activity: Ada's post naming nobody, and Me's own reply.
  addPost(s, { author: ADA, text: 'Just a post', created_at: now - 2 * MINUTE });
  addPost(s, { author: ME, text: 'Me again', reply_to: mine.id, created_at: now - MINUTE });
  return { s, mine, reply };
}

function key(k: string): void {
  fireEvent.keyDown(window, { key: k });
}

describe('Activity', () => {
  beforeEach(() => {
    updates.reset();
    router.reset();
    clearSnapshots();
    toasts.clear();
    activity.stop();
    activity.unread = 0;
  });
  afterEach(() => {
    activity.stop();
    vi.useRealTimers();
  });

  it('lists replies, mentions, reposts and reactions newest first, each saying what happened', async () => {
    withActivity();
    render(Activity);
    const items = await screen.findAllByTestId('activity-item');
    expect(items.map((i) => i.dataset.kind)).toEqual(['reaction', 'repost', 'mention', 'reply']);
    expect(items[0]).toHaveAccessibleName('Bob reacted ❤️ to your post, new');
    expect(items[0]).toHaveTextContent('Your post: Tea at four?');
    expect(items[1]).toHaveAccessibleName('Ada reposted your post, new');
    // The mention shows the name, not the account id, and links to the profile.
    const mention = within(items[2]!).getByTestId('mention');
    expect(mention).toHaveTextContent('@Me');
    expect(items[2]).not.toHaveTextContent('kith1');
    expect(items[2]).not.toHaveTextContent('Your post');
    expect(items[3]).toHaveTextContent('Count me in');
    expect(items[3]).toHaveTextContent('Your post: Tea at four?');
  });

  it('marks everything shown as seen; the items new on opening keep their mark until the next visit', async () => {
    const { s } = withActivity();
    render(Activity);
    await screen.findAllByTestId('activity-item');
    await waitFor(() => expect(commands.markActivitySeen).toHaveBeenCalled());
    expect(s.activitySeen).toBe(s.reactionsBy[0]!.at);
    expect(screen.getAllByTestId('activity-item').filter((i) => i.classList.contains('new'))).toHaveLength(4);
    expect(await commands.activityUnread()).toEqual({ status: 'ok', data: 0 });
  });

  it('keeps the item the reader is on, its element and focus, and the marks of what was new, when new activity arrives live', async () => {
    const { s, mine } = withActivity();
    activity.start();
    render(Activity);
    const before = await screen.findAllByTestId('activity-item');
    await waitFor(() => expect(commands.markActivitySeen).toHaveBeenCalled());
    expect(before.filter((i) => i.classList.contains('new'))).toHaveLength(4);
    const reply = before[3]!;
    reply.focus();

    // A reply arrives from a peer while the screen is open.
    addPost(s, { author: BOB, text: 'Me too', reply_to: mine.id, created_at: Date.now() });
    backend.emit('feedChanged', { account: BOB });
    await waitFor(() => expect(screen.getAllByTestId('activity-item')).toHaveLength(5), { timeout: REFRESH_MS + 1000 });
    const after = screen.getAllByTestId('activity-item');
    expect(after[4]).toBe(reply); // the same element, not made anew
    expect(document.activeElement).toBe(reply);
    expect(after.map((i) => i.classList.contains('new'))).toEqual([true, true, true, true, true]);
    expect(after[0]).toHaveAccessibleName('Bob replied to your post, new');
    expect(screen.getByText('5 new items')).toBeInTheDocument();
  });

  it('opens the thread of the reply, or of the own post for a reaction, with a click or Enter', async () => {
    const { mine, reply } = withActivity();
    render(Activity);
    const items = await screen.findAllByTestId('activity-item');
    await fireEvent.click(items[3]!);
    expect(router.current).toEqual({ name: 'thread', post: reply.id });
    items[0]!.focus();
    await fireEvent.keyDown(items[0]!, { key: 'Enter' });
    expect(router.current).toEqual({ name: 'thread', post: mine.id });
  });

  it('has an empty state, and pages older items with "Show older"', async () => {
    const s = readyState();
    backend.reset(s);
    session.status = { phase: 'ready', home: s.home, account: ME, problem: null, name: null };
    const { unmount } = render(Activity);
    expect(await screen.findByTestId('activity-empty')).toHaveTextContent('Nothing yet');
    unmount();

    const mine = addPost(s, { author: ME, text: 'Mine', created_at: 1 });
    for (let i = 0; i < 35; i++) s.reactionsBy.push({ target: mine.id, reaction: `r${i}`, by: ADA, at: 1000 + i });
    render(Activity);
    expect(await screen.findAllByTestId('activity-item')).toHaveLength(30);
    await fireEvent.click(screen.getByTestId('activity-more'));
    await waitFor(() => expect(screen.getAllByTestId('activity-item')).toHaveLength(35));
    expect(screen.queryByTestId('activity-more')).toBeNull();
  });

  it('says why it could not load, and tries again', async () => {
    withActivity();
    commands.activity.mockResolvedValueOnce({ status: 'error', error: { code: 'locked', message: 'Kith is locked.' } });
    render(Activity);
    expect(await screen.findByRole('alert')).toHaveTextContent('Kith is locked.');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('activity-item')).toHaveLength(4);
  });

  it('the sidebar counts new activity, g a opens it, and a reply arriving later counts again', async () => {
    const { s, mine } = withActivity();
    render(App);
    const badge = await screen.findByTestId('activity-badge');
    expect(badge).toHaveTextContent('4');
    expect(screen.getByTestId('nav-activity')).toHaveAccessibleName(/Activity\s+4\s+new items/);

    key('g');
    key('a');
    expect(await screen.findByRole('heading', { level: 1, name: 'Activity' })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByTestId('activity-badge')).toBeNull());

    // Elsewhere in the app, a reply arrives from a peer: the count comes back.
    router.go({ name: 'home' });
    addPost(s, { author: BOB, text: 'Me too', reply_to: mine.id, created_at: Date.now() });
    backend.emit('feedChanged', { account: BOB });
    await waitFor(() => expect(screen.getByTestId('activity-badge')).toHaveTextContent('1'), {
      timeout: REFRESH_MS + 1000,
    });
  });

  it('shows "99+" at the count the node stops at', async () => {
    withActivity();
    commands.activityUnread.mockResolvedValue({ status: 'ok', data: 100 });
    render(App);
    expect(await screen.findByTestId('activity-badge')).toHaveTextContent('99+');
    commands.activityUnread.mockReset();
  });
});
