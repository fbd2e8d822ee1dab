// Actions that take away the element that had the focus (a card deleted, an
// author muted, an editor or reply closed) leave the focus on a sensible
// neighbour, never on <body>, where the keyboard user would have to start over.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import { clearSnapshots } from '$lib/listcache';
import { live } from '$lib/live.svelte';
import { moderation } from '$lib/moderation.svelte';
import { clearPostCache } from '$lib/quotes';
import Home from '../../screens/Home.svelte';
import Thread from '../../screens/Thread.svelte';

let s: FakeState;

function card(text: string): HTMLElement {
  const c = screen.getAllByTestId('post').find((x) => within(x).queryByTestId('post-text')?.textContent === text);
  if (!c) throw new Error(`no card “${text}”`);
  return c;
}

/** Home with these posts, newest first; resolves once they are on screen. */
async function home(posts: { author: string; text: string; quote_of?: string }[]): Promise<void> {
  const t = Date.now();
  posts.forEach((p, i) => addPost(s, { ...p, created_at: t - i * 60_000 }));
  render(Home);
  await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(posts.length));
}

describe('the focus after an action takes away what had it', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearSnapshots();
    clearPostCache();
    moderation.reset();
    live.reset();
  });

  it('goes to the next card when a post is deleted from its card', async () => {
    await home([
      { author: ME, text: 'first' },
      { author: ADA, text: 'second' },
    ]);
    const first = card('first');
    const del = within(first).getByRole('button', { name: 'Delete' });
    del.focus();
    await fireEvent.click(del);
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    await waitFor(() => expect(document.activeElement).toBe(card('second')));
  });

  it('goes to the card before when the last card’s repost is undone', async () => {
    const original = addPost(s, { author: ADA, text: 'original', created_at: 1 });
    s.following = [BOB];
    await home([
      { author: BOB, text: 'before' },
      { author: ME, text: '', quote_of: original.id },
    ]);
    const repost = screen.getAllByTestId('post')[1]!;
    const undo = await within(repost).findByRole('button', { name: 'Undo repost' });
    undo.focus();
    await fireEvent.click(undo);
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Undo repost' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    await waitFor(() => expect(document.activeElement).toBe(card('before')));
  });

  it('goes to the next card not by the author muted from a post’s menu', async () => {
    await home([
      { author: ADA, text: 'ada 1' },
      { author: ADA, text: 'ada 2' },
      { author: BOB, text: 'bob' },
    ]);
    const more = within(card('ada 1')).getByTestId('more-button');
    more.focus();
    await fireEvent.click(more);
    await fireEvent.click(await screen.findByTestId('menu-mute'));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(1));
    await waitFor(() => expect(document.activeElement).toBe(card('bob')));
  });

  it('goes back to the card when its editor closes, with Escape or Save', async () => {
    await home([{ author: ME, text: 'mine' }]);
    const post = card('mine');
    await fireEvent.click(within(post).getByTestId('edit-button'));
    const box = within(post).getByRole('textbox', { name: 'Edit post' });
    expect(document.activeElement).toBe(box);
    await fireEvent.keyDown(box, { key: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(post));

    await fireEvent.click(within(post).getByTestId('edit-button'));
    await fireEvent.input(within(post).getByRole('textbox', { name: 'Edit post' }), { target: { value: 'mine, again' } });
    const save = within(post).getByRole('button', { name: 'Save' });
    save.focus();
    await fireEvent.click(save);
    await waitFor(() => expect(within(post).getByTestId('post-text')).toHaveTextContent('mine, again'));
    await waitFor(() => expect(document.activeElement).toBe(post));
  });

  it('goes back to the card when its reply closes with Escape', async () => {
    await home([{ author: ADA, text: 'hello' }]);
    const post = card('hello');
    await fireEvent.click(within(post).getByTestId('reply-button'));
    const box = within(post).getByRole('textbox', { name: 'Reply to Ada' });
    box.focus();
    await fireEvent.keyDown(box, { key: 'Escape' });
    await waitFor(() => expect(within(post).queryByRole('textbox')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(post));
  });

  it('stays on the card of a thread that says its post was deleted', async () => {
    const mine = addPost(s, { author: ME, text: 'mine' });
    render(Thread, { post: mine.id });
    const post = await waitFor(() => card('mine'));
    const del = within(post).getByRole('button', { name: 'Delete' });
    del.focus();
    await fireEvent.click(del);
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(within(post).getByText('This post was deleted.')).toBeInTheDocument());
    await waitFor(() => expect(document.activeElement).toBe(post));
  });
});
