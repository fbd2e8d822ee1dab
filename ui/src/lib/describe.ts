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

/**
 * Descriptions as a post keeps them: at most one per image (`images`),
 * trimmed, and empty ones at the end dropped.
 */
export function storedDescriptions(descriptions: readonly string[], images: number): string[] {
  const kept = descriptions.slice(0, images).map((d) => d.trim());
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  return kept;
}

/** What a screen reader says for image `i` (0-based) of `n` in a post by `author`. */
export function imageAlt(description: string | undefined, i: number, n: number, author: string): string {
  const d = description?.trim();
  if (d) return d;
  return n === 1 ? `Image in a post by ${author}, not described` : `Image ${i + 1} of ${n} in a post by ${author}, not described`;
}
