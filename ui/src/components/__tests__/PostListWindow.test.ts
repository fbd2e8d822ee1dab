// The timeline keeps only the blocks of cards near the view in the page; the
// browser's IntersectionObserver reports which. Here an observer the test
// drives stands in for it: jsdom lays nothing out.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import { clearSnapshots } from '$lib/listcache';
import { live } from '$lib/live.svelte';
import Home from '../../screens/Home.svelte';

/** The observers the page made, by root margin, and what each watches. */
const observers: DrivenObserver[] = [];

class DrivenObserver {
  readonly watched = new Set<Element>();
  constructor(
    readonly callback: IntersectionObserverCallback,
    readonly options: IntersectionObserverInit = {},
  ) {
    observers.push(this);
  }
  observe(el: Element): void {
    this.watched.add(el);
  }
  unobserve(el: Element): void {
    this.watched.delete(el);
  }
  disconnect(): void {
    this.watched.clear();
  }
  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }
  /** Reports `el` crossing this observer's reach, with the box it has. */
  report(el: Element, isIntersecting: boolean, box: { height: number; bottom: number }): void {
    const entry = { target: el, isIntersecting, boundingClientRect: box } as unknown as IntersectionObserverEntry;
    this.callback([entry], this as unknown as IntersectionObserver);
  }
}

/** The observer with this root margin that watches `el`. */
function observer(margin: string, el: Element): DrivenObserver {
  const o = observers.find((x) => x.options.rootMargin === margin && x.watched.has(el));
  if (!o) throw new Error(`no observer with root margin ${margin} watches the block`);
  return o;
}

const FAR = '400% 0px';
const NEAR = '150% 0px';

let s: FakeState;

function blocks(): HTMLElement[] {
  return Array.from(screen.getByTestId('timeline').querySelectorAll<HTMLElement>(':scope > .block'));
}

function cardsIn(block: HTMLElement): string[] {
  return Array.from(block.querySelectorAll<HTMLElement>('[data-testid="post-text"]')).map((e) => e.textContent ?? '');
}

/** A timeline of 42 posts on screen: a block of 30 and one of 12. Returns how to leave it. */
async function longTimeline(): Promise<() => void> {
  const t = Date.now();
  for (let i = 0; i < 45; i++) addPost(s, { author: i % 2 ? ADA : BOB, text: `post ${i}`, created_at: t - i * 60_000 });
  const { unmount } = render(Home);
  await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
  await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
  await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(42));
  expect(blocks().map((b) => b.children.length)).toEqual([30, 12]);
  return unmount;
}

/**
 * The observers report the first block near the view (the reader has been
 * there), then beyond the far reach (4321 px tall) above it; waits until its
 * cards are out.
 */
async function parkFirstBlock(): Promise<HTMLElement> {
  const [first] = blocks();
  if (!first) throw new Error('no block');
  observer(NEAR, first).report(first, true, { height: 4321, bottom: 500 });
  observer(FAR, first).report(first, false, { height: 4321, bottom: -9000 });
  await waitFor(() => expect(first.children).toHaveLength(0));
  return first;
}

describe('a long timeline keeps only the cards near the view in the page', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearSnapshots();
    live.reset();
    observers.length = 0;
    vi.stubGlobal('IntersectionObserver', DrivenObserver);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('takes a far block’s cards out a few a frame, farthest from the reader first, and keeps its height, so nothing below moves', async () => {
    await longTimeline();
    const [block] = blocks();
    if (!block) throw new Error('no block');
    // What the block shows after its first step out.
    let firstStep: { cards: string[]; height: string } | null = null;
    const watch = new MutationObserver(() => {
      firstStep ??= { cards: cardsIn(block), height: block.style.height };
    });
    watch.observe(block, { childList: true });
    const first = await parkFirstBlock();
    watch.disconnect();
    // Above the view, it keeps its last cards (nearest the reader) longest.
    expect(firstStep).toEqual({ cards: Array.from({ length: 27 }, (_, i) => `post ${i + 3}`), height: '4321px' });
    expect(first.style.height).toBe('4321px');
    expect(screen.getAllByTestId('post')).toHaveLength(12);
    expect(screen.getByTestId('timeline').dataset.posts).toBe('42');
  });

  it('brings a parked block above the view back from its last card, holding its height meanwhile', async () => {
    await longTimeline();
    const first = await parkFirstBlock();
    // What the block shows on its first step back.
    let firstStep: { cards: string[]; minHeight: string; fromEnd: boolean } | null = null;
    const watch = new MutationObserver(() => {
      firstStep ??= { cards: cardsIn(first), minHeight: first.style.minHeight, fromEnd: first.classList.contains('from-end') };
    });
    watch.observe(first, { childList: true });
    observer(NEAR, first).report(first, true, { height: 4321, bottom: -200 });
    await waitFor(() => expect(first.children).toHaveLength(30));
    watch.disconnect();
    // Part of the way back: the last cards, at the foot of the held height.
    expect(firstStep).toEqual({ cards: ['post 27', 'post 28', 'post 29'], minHeight: '4321px', fromEnd: true });
    expect(cardsIn(first)).toEqual(Array.from({ length: 30 }, (_, i) => `post ${i}`));
    expect(first.style.minHeight).toBe('');
    expect(first.style.height).toBe('');
  });

  it('does not park a block the reader never came near, whose height is not known', async () => {
    await longTimeline();
    const [, second] = blocks();
    if (!second) throw new Error('no second block');
    observer(FAR, second).report(second, false, { height: 4500, bottom: 9000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(second.children).toHaveLength(12);
    expect(second.style.height).toBe('');
  });

  it('gives each card that comes back the height it had as it left, until it is laid out again', async () => {
    await longTimeline();
    const [first] = blocks();
    if (!first) throw new Error('no block');
    // jsdom lays nothing out: give the cards the heights a browser would.
    Array.from(first.children).forEach((card, i) => {
      card.getBoundingClientRect = () => ({ height: 140 + i }) as DOMRect;
    });
    await parkFirstBlock();
    observer(NEAR, first).report(first, true, { height: 4321, bottom: -200 });
    await waitFor(() => expect(first.children).toHaveLength(30));
    const sizes = Array.from(first.children).map((c) => (c as HTMLElement).style.getPropertyValue('contain-intrinsic-size'));
    expect(sizes).toEqual(Array.from({ length: 30 }, (_, i) => `auto ${140 + i}px`));
    // Cards that never left have no stand-in height of their own.
    const [, second] = blocks();
    expect((second?.firstElementChild as HTMLElement | null)?.style.getPropertyValue('contain-intrinsic-size')).toBe('');
  });

  it('keeps a block the reader is working in (an open reply) in the page', async () => {
    await longTimeline();
    const [first] = blocks();
    if (!first) throw new Error('no block');
    const reply = first.querySelector<HTMLButtonElement>('[data-testid="reply-button"]');
    if (!reply) throw new Error('no reply button in the first card');
    await fireEvent.click(reply);
    await waitFor(() => expect(first.querySelector('textarea')).not.toBeNull());
    observer(NEAR, first).report(first, true, { height: 4321, bottom: 500 });
    observer(FAR, first).report(first, false, { height: 4321, bottom: -9000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(first.children).toHaveLength(30);
    expect(first.querySelector('textarea')).not.toBeNull();
  });

  it('keeps a block whose card opened a dialog (shown at the end of the page) in the page, and the dialog open', async () => {
    addPost(s, { author: ME, text: 'mine', created_at: Date.now() + 60_000 });
    await longTimeline();
    const [first] = blocks();
    if (!first) throw new Error('no block');
    await fireEvent.click(within(first).getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this post?' });
    expect(first.contains(dialog)).toBe(false); // at the end of <body>
    // The focus is in the dialog, not in the block.
    expect(first.contains(document.activeElement)).toBe(false);
    observer(NEAR, first).report(first, true, { height: 4321, bottom: 500 });
    observer(FAR, first).report(first, false, { height: 4321, bottom: -9000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(first.children).toHaveLength(30);
    expect(dialog).toBeInTheDocument();
    // Closed, the block may leave again.
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    (document.activeElement as HTMLElement | null)?.blur();
    observer(FAR, first).report(first, false, { height: 4321, bottom: -9000 });
    await waitFor(() => expect(first.children).toHaveLength(0));
  });

  it('tells assistive technology each card’s place in the list and, once all is loaded, its length', async () => {
    await longTimeline();
    await parkFirstBlock();
    // Only the second block's cards are in the page: places 31 to 42 of an
    // unknown length (more can load).
    const cards = screen.getAllByTestId('post');
    expect(cards.map((c) => c.getAttribute('aria-posinset'))).toEqual(Array.from({ length: 12 }, (_, i) => `${31 + i}`));
    expect(new Set(cards.map((c) => c.getAttribute('aria-setsize')))).toEqual(new Set(['-1']));
    await fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(15));
    expect(new Set(screen.getAllByTestId('post').map((c) => c.getAttribute('aria-setsize')))).toEqual(new Set(['45']));
    const all = screen.getAllByTestId('post');
    expect(all[all.length - 1]?.getAttribute('aria-posinset')).toBe('45');
  });

  it('keeps parked blocks out of the page when the reader comes back to the timeline', async () => {
    const leave = await longTimeline();
    await parkFirstBlock();
    leave();
    // Back on the timeline: the kept pages, with the far block still out.
    render(Home);
    await waitFor(() => expect(screen.getAllByTestId('post')).toHaveLength(12));
    const [again, second] = blocks();
    expect(again?.children).toHaveLength(0);
    expect(again?.style.height).toBe('4321px');
    expect(second?.children).toHaveLength(12);
    expect(screen.getByTestId('timeline').dataset.posts).toBe('42');
  });
});
