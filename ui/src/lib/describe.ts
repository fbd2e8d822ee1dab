// Image descriptions (alternative text): what an image shows, for people
// who cannot see it. The node bounds each in bytes of UTF-8.

/** Longest description of one image, in bytes of UTF-8 (as the node's limit). */
export const MAX_DESCRIPTION_BYTES = 1500;

/** Bytes of UTF-8 of a description. */
export function descriptionBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Why a description can't be kept, or null when it can. */
export function descriptionProblem(text: string): string | null {
  const n = descriptionBytes(text.trim());
  return n > MAX_DESCRIPTION_BYTES
    ? `A description holds at most ${MAX_DESCRIPTION_BYTES.toLocaleString('en')} bytes; this one has ${n.toLocaleString('en')}.`
    : null;
}

/** What a screen reader says for image `i` (0-based) of `n` in a post by `author`. */
export function imageAlt(description: string | undefined, i: number, n: number, author: string): string {
  const d = description?.trim();
  if (d) return d;
  return n === 1 ? `Image in a post by ${author}, not described` : `Image ${i + 1} of ${n} in a post by ${author}, not described`;
}
