// The Draft sent to `publish`, from what the composer holds.
import type { Draft, ImageData } from './bindings';
import { storedDescriptions } from './describe';
import { charCount } from './format';

export const MAX_POST_CHARS = 5000;

export type ComposerInput = {
  text: string;
  cwOn: boolean;
  cw: string;
  images: ImageData[];
  /** What each image shows, in order (empty: not described). */
  descriptions: string[];
  replyTo: string | null;
  quoteOf: string | null;
};

/** Why the composer can't post yet, or null when it can. */
export function draftProblem(i: { text: string; imageCount: number; quoteOf: string | null }): string | null {
  if (charCount(i.text) > MAX_POST_CHARS) return `Posts hold at most ${MAX_POST_CHARS} characters.`;
  if (i.text.trim() === '' && i.imageCount === 0) {
    return i.quoteOf !== null ? 'Write something to quote the post.' : 'Write something or add an image.';
  }
  return null;
}

/**
 * Empty text becomes null and trailing blanks (such as the space after a
 * picked mention) are dropped; the warning is sent only if toggled on and
 * non-empty; descriptions are trimmed, and empty ones at the end dropped.
 */
export function buildDraft(i: ComposerInput): Draft {
  const text = i.text.trim() === '' ? null : i.text.trimEnd();
  const cw = i.cwOn && i.cw.trim() !== '' ? i.cw.trim() : null;
  const descriptions = storedDescriptions(i.descriptions, i.images.length);
  return { text, cw, images: i.images, descriptions, replyTo: i.replyTo, quoteOf: i.quoteOf };
}

/** A repost: quote without text. */
export function repostDraft(post: string): Draft {
  return { text: null, cw: null, images: [], descriptions: [], replyTo: null, quoteOf: post };
}
