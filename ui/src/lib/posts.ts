// What a PostView is, as far as rendering goes.
import type { PostView } from './bindings';

export type PostKind = 'deleted' | 'pending' | 'repost' | 'quote' | 'reply' | 'post';

/**
 * - deleted: erased; only threads list these.
 * - pending: known by id, body not received yet (`text === null`).
 * - repost: `quote_of` with empty text and no images.
 * - quote: `quote_of` with text.
 */
export function postKind(p: PostView): PostKind {
  if (p.deleted) return 'deleted';
  if (p.text === null) return 'pending';
  if (p.quote_of !== null) {
    return p.text.trim() === '' && p.attachments.length === 0 ? 'repost' : 'quote';
  }
  return p.reply_to !== null ? 'reply' : 'post';
}

export const REACTIONS = [
  { emoji: '👍', label: 'Thumbs up' },
  { emoji: '❤️', label: 'Heart' },
  { emoji: '😂', label: 'Laughing' },
  { emoji: '😮', label: 'Surprised' },
  { emoji: '😢', label: 'Sad' },
  { emoji: '🎉', label: 'Celebrate' },
] as const;

export type ReactionCount = { emoji: string; count: number };

/**
 * The accessible name of an action that shows a count beside its icon:
 * "Reply" alone, or "Reply (3 replies)".
 */
export function countedLabel(action: string, n: number, one: string, many: string): string {
  return n > 0 ? `${action} (${n} ${n === 1 ? one : many})` : action;
}

/** Reactions with a positive count, most first (ties: picker order, then text). */
export function reactionList(reactions: PostView['reactions']): ReactionCount[] {
  const order = (e: string): number => {
    const i = REACTIONS.findIndex((r) => r.emoji === e);
    return i === -1 ? REACTIONS.length : i;
  };
  return Object.entries(reactions)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .map(([emoji, count]) => ({ emoji, count }))
    .sort((a, b) => b.count - a.count || order(a.emoji) - order(b.emoji) || a.emoji.localeCompare(b.emoji));
}

/** Merges pages without duplicates, keeping first-seen order. */
export function mergePosts(existing: readonly PostView[], more: readonly PostView[]): PostView[] {
  const seen = new Set(existing.map((p) => p.id));
  const out = existing.slice();
  for (const p of more) {
    if (!seen.has(p.id)) {
      seen.add(p.id);
      out.push(p);
    }
  }
  return out;
}
