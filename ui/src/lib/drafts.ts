// Unsent drafts: what a composer held when it closed (another screen was
// opened, the reply box was cancelled) comes back the next time a composer
// for the same thing opens: a new post, a reply to a post, a quote of one.
// Kept here in memory while the window is open (with the images' previews);
// each composer also saves its draft on this computer as it changes
// (saveddrafts.ts), so drafts outlive a restart. A draft that is sent or
// emptied is forgotten.
import type { Pick } from './mentions';
import { revokePreview } from './images';

/** An image chosen for a draft, with its preview's object URL and its description (empty: none). */
export type ChosenImage = { file: File; url: string; description: string };

/** What a composer holds. */
export type Draft = {
  text: string;
  picks: Pick[];
  cwOn: boolean;
  cw: string;
  images: ChosenImage[];
};

/** Most drafts kept; the oldest goes first (with its images' previews). */
export const MAX_DRAFTS = 10;

const kept = new Map<string, Draft>();

/** The key of a composer's draft: a new post, a reply or a quote. */
export function draftKey(replyTo: string | null, quoteOf: string | null): string {
  if (replyTo !== null) return `reply:${replyTo}`;
  if (quoteOf !== null) return `quote:${quoteOf}`;
  return 'post';
}

/** Whether a draft holds nothing worth keeping. */
export function isEmpty(d: Draft): boolean {
  return d.text.trim() === '' && d.images.length === 0 && !(d.cwOn && d.cw.trim() !== '');
}

/** Keeps `d` under `key` (an empty draft is released instead). */
export function keepDraft(key: string, d: Draft): void {
  forgetDraft(key);
  if (isEmpty(d)) {
    release(d);
    return;
  }
  kept.set(key, d);
  while (kept.size > MAX_DRAFTS) {
    const oldest = kept.keys().next().value;
    if (oldest === undefined) break;
    forgetDraft(oldest);
  }
}

/** The draft kept under `key`, handed over (no longer kept). */
export function takeDraft(key: string): Draft | undefined {
  const d = kept.get(key);
  kept.delete(key);
  return d;
}

/** Drops the draft under `key` and its images' previews. */
export function forgetDraft(key: string): void {
  const d = kept.get(key);
  if (d === undefined) return;
  kept.delete(key);
  release(d);
}

/** Drops every draft (each test starts with none). */
export function forgetAllDrafts(): void {
  for (const key of [...kept.keys()]) forgetDraft(key);
}

/** How many drafts are kept (for tests). */
export function draftCount(): number {
  return kept.size;
}

function release(d: Draft): void {
  for (const i of d.images) revokePreview(i.url);
}
