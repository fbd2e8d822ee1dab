import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addList, addPost, ME, useReadyAccount } from '../../test/helpers';
import { moderation } from '$lib/moderation.svelte';
import { clearPostCache } from '$lib/quotes';
import { router } from '$lib/router.svelte';
import { toasts } from '$lib/toasts.svelte';
import PostCard from '../PostCard.svelte';

let s: FakeState;

const COVERED = 'covered by list “Spam watch”: spam — bulk adverts';

async function openMenu(): Promise<HTMLElement> {
  await fireEvent.click(screen.getByRole('button', { name: 'More actions for this post' }));
  return screen.getByRole('menu', { name: 'More actions for this post' });
}

describe('PostCard moderation', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearPostCache();
    router.reset();
    moderation.reset();
    toasts.clear();
  });

  it('covers a "warn" post with its reasons until "Show post", which toggles with aria-expanded', async () => {
    const post = addPost(s, {
      author: ADA,
      text: 'Buy cheap watches',
      attachments: ['aa'.repeat(32)],
      reactions: { '👍': 2 },
      moderation: { action: 'warn', reasons: [COVERED] },
    });
    render(PostCard, { post });
    expect(screen.getByTestId('post-cover')).toHaveTextContent(COVERED);
    expect(screen.queryByText('Buy cheap watches')).toBeNull();
    expect(screen.queryByRole('img')).toBeNull();
    expect(screen.queryByRole('list', { name: 'Reactions' })).toBeNull();

    const show = screen.getByRole('button', { name: 'Show post' });
    expect(show).toHaveAttribute('aria-expanded', 'false');
    show.focus();
    expect(show).toHaveFocus();
    await fireEvent.click(show);
    expect(screen.getByTestId('post-text')).toHaveTextContent('Buy cheap watches');
    expect(screen.getByRole('img', { name: 'Image in a post by Ada, not described' })).toBeInTheDocument();
    expect(screen.getByRole('list', { name: 'Reactions' })).toBeInTheDocument();
    // Revealing does not open the thread.
    expect(router.current).toEqual({ name: 'home' });

    const hide = screen.getByRole('button', { name: 'Hide post' });
    expect(hide).toHaveAttribute('aria-expanded', 'true');
    await fireEvent.click(hide);
    expect(screen.queryByText('Buy cheap watches')).toBeNull();
  });

  it('keeps an author’s content warning closed inside a revealed covered post', async () => {
    const post = addPost(s, {
      author: ADA,
      text: 'The butler did it',
      cw: 'spoilers',
      moderation: { action: 'warn', reasons: [COVERED] },
    });
    render(PostCard, { post });
    expect(screen.queryByText('spoilers')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Show post' }));
    expect(screen.getByText('spoilers')).toBeInTheDocument();
    expect(screen.queryByText('The butler did it')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByTestId('post-text')).toHaveTextContent('The butler did it');
  });

  it('shows a "hide" placeholder as "Hidden: <reasons>" with no content and no reply', () => {
    const post = addPost(s, {
      author: ADA,
      text: null,
      moderation: { action: 'hide', reasons: ['you muted this account', 'you muted the word “crypto”'] },
    });
    render(PostCard, { post });
    expect(screen.getByTestId('post-hidden')).toHaveTextContent(
      'Hidden: you muted this account; you muted the word “crypto”',
    );
    expect(screen.queryByTestId('post-text')).toBeNull();
    expect(screen.queryByText(/Not received yet/)).toBeNull();
    expect(screen.queryByTestId('reply-button')).toBeNull();
  });

  it('offers only copying the id on own posts, and the id first on others', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const mine = addPost(s, { author: ME, text: 'mine' });
    const { unmount } = render(PostCard, { post: mine });
    let menu = await openMenu();
    expect(within(menu).getAllByRole('menuitem').map((i) => i.textContent?.trim())).toEqual(['Copy post ID']);
    await fireEvent.click(within(menu).getByRole('menuitem', { name: 'Copy post ID' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(mine.id));
    unmount();

    render(PostCard, { post: addPost(s, { author: ADA, text: 'theirs' }) });
    menu = await openMenu();
    const items = within(menu).getAllByRole('menuitem').map((i) => i.textContent?.trim());
    expect(items[0]).toBe('Copy post ID');
    expect(items).toContain('Mute author');
  });

  it('mutes the author privately from the menu and tells the list, with the card it was done from', async () => {
    const post = addPost(s, { author: ADA, text: 'loud' });
    const onModerated = vi.fn();
    render(PostCard, { post, onModerated });
    const menu = await openMenu();
    await fireEvent.click(within(menu).getByRole('menuitem', { name: 'Mute author' }));
    expect(commands.mute).toHaveBeenCalledWith(ADA, false);
    await waitFor(() => expect(onModerated).toHaveBeenCalledWith(ADA, 'mute', post.id));
    expect(toasts.items.map((t) => t.message)).toContain('Muted Ada. Their posts leave your timeline; undo in Moderation.');
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('blocks only after a confirmation that explains the purge, publicly when asked', async () => {
    const post = addPost(s, { author: ADA, text: 'hi' });
    const onModerated = vi.fn();
    render(PostCard, { post, onModerated });

    await fireEvent.click(within(await openMenu()).getByRole('menuitem', { name: 'Block author…' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Block Ada?' });
    expect(dialog).toHaveTextContent(/erased/);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(commands.block).not.toHaveBeenCalled();

    await fireEvent.click(within(await openMenu()).getByRole('menuitem', { name: 'Block author…' }));
    dialog = screen.getByRole('alertdialog', { name: 'Block Ada?' });
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: /Also record publicly/ }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Block' }));
    expect(commands.block).toHaveBeenCalledWith(ADA, true);
    await waitFor(() => expect(onModerated).toHaveBeenCalledWith(ADA, 'block', post.id));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('shows the ApiError of a failed block in a toast', async () => {
    commands.block.mockResolvedValueOnce({ status: 'error', error: { code: 'io', message: 'The store is read-only.' } });
    const onModerated = vi.fn();
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi' }), onModerated });
    await fireEvent.click(within(await openMenu()).getByRole('menuitem', { name: 'Block author…' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Block' }));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('The store is read-only.'));
    expect(toasts.items.find((t) => t.message === 'The store is read-only.')?.kind).toBe('error');
    expect(onModerated).not.toHaveBeenCalled();
  });

  it('reports a post with the chosen labels, words and list', async () => {
    const spam = addList(s, 'Spam watch', { subscribe: { hide: [], warn: ['spam'] } });
    addList(s, 'Kind corner', { subscribe: { hide: [], warn: ['harassment'] } });
    const post = addPost(s, { author: ADA, text: 'buy now' });
    render(PostCard, { post });

    await fireEvent.click(within(await openMenu()).getByRole('menuitem', { name: 'Report post…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Report this post by Ada' });
    const send = within(dialog).getByRole('button', { name: 'Send report' });
    // "All lists" is the default with two lists; a label is required.
    expect(await within(dialog).findByRole('radio', { name: 'All lists I subscribe to (2)' })).toBeChecked();
    expect(send).toBeDisabled();
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Misleading' }));
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Spam' }));
    await fireEvent.input(within(dialog).getByLabelText('Details (optional)'), { target: { value: '  fake shop  ' } });
    await fireEvent.click(within(dialog).getByRole('radio', { name: /^Spam watch/ }));
    await fireEvent.click(send);

    expect(commands.report).toHaveBeenCalledWith(post.id, ['spam', 'misleading'], 'fake shop', spam);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(toasts.items.map((t) => t.message).join('\n')).toMatch(/Report queued for “Spam watch”/);
    expect(s.outbox).toHaveLength(1);
    expect(s.outbox[0]).toMatchObject({ target: post.id, status: 'queued' });
  });

  it('sends to every subscribed list with "All lists"', async () => {
    addList(s, 'Spam watch', { subscribe: { hide: [], warn: ['spam'] } });
    addList(s, 'Kind corner', { subscribe: { hide: [], warn: ['harassment'] } });
    const post = addPost(s, { author: ADA, text: 'rude' });
    render(PostCard, { post });
    await fireEvent.click(within(await openMenu()).getByRole('menuitem', { name: 'Report post…' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('radio', { name: /All lists/ });
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Harassment' }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Send report' }));
    expect(commands.report).toHaveBeenCalledWith(post.id, ['harassment'], '', null);
    await waitFor(() => expect(toasts.items.map((t) => t.message).join('\n')).toMatch(/2 reports queued/));
  });

  it('disables "Report post…" with an explanation when no list is subscribed', async () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi' }) });
    const menu = await openMenu();
    const item = within(menu).getByRole('menuitem', { name: 'Report post…' });
    await waitFor(() => expect(item).toHaveAttribute('aria-disabled', 'true'));
    expect(item).toHaveAccessibleDescription(/Subscribe to a moderation list first/);
    await fireEvent.click(item);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(commands.report).not.toHaveBeenCalled();
  });

  it('adds the post to an own list with labels and a reason', async () => {
    const mine = addList(s, 'Tea room rules', { owner: ME });
    const post = addPost(s, { author: ADA, text: 'mean words' });
    render(PostCard, { post });
    const menu = await openMenu();
    await fireEvent.click(await within(menu).findByRole('menuitem', { name: 'Add to my list…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add this post by Ada to your list' });
    expect(dialog).toHaveTextContent('Tea room rules');
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Harassment' }));
    await fireEvent.input(within(dialog).getByLabelText('Reason (optional)'), { target: { value: 'name-calling' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Add to list' }));
    expect(commands.listAdd).toHaveBeenCalledWith(mine, post.id, ['harassment'], 'name-calling');
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Added to “Tea room rules”'));
    expect(s.lists[0]?.entries.map((e) => e.target)).toEqual([post.id]);
  });

  it('has no "Add to my list…" without own lists', async () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi' }) });
    await openMenu();
    await waitFor(() => expect(commands.moderation).toHaveBeenCalled());
    await waitFor(() => expect(moderation.overview).not.toBeNull());
    expect(screen.queryByRole('menuitem', { name: 'Add to my list…' })).toBeNull();
  });

  it('closes the menu with Escape and moves through it with the arrow keys', async () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi' }) });
    const menu = await openMenu();
    const items = within(menu).getAllByRole('menuitem');
    expect(items[0]).toHaveFocus();
    await fireEvent.keyDown(items[0]!, { key: 'ArrowDown' });
    expect(items[1]).toHaveFocus();
    await fireEvent.keyDown(items[1]!, { key: 'ArrowUp' });
    expect(items[0]).toHaveFocus();
    await fireEvent.keyDown(items[0]!, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(screen.getByRole('button', { name: 'More actions for this post' })).toHaveFocus();
  });

  it('makes the menu only when opened, and closes it with its button or a press elsewhere', async () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi' }) });
    const toggle = screen.getByRole('button', { name: 'More actions for this post' });
    expect(screen.queryByRole('menuitem')).toBeNull();
    expect(toggle).not.toHaveAttribute('aria-controls');
    const menu = await openMenu();
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(toggle).toHaveAttribute('aria-controls', menu.id);
    await fireEvent.pointerDown(toggle);
    await fireEvent.click(toggle);
    expect(screen.queryByRole('menu')).toBeNull();
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await openMenu();
    await fireEvent.pointerDown(document.body);
    expect(screen.queryByRole('menu')).toBeNull();
  });
});
