// Mentions: a post's text names an account as `@` and its id (`@kith1…`,
// see docs/protocol.md). People never type or read ids: the composer offers
// names after "@" and writes the chosen account's id when the post is sent,
// and cards show the name. Only ids the store confirmed (a post's
// `mentions`) are shown as names; anything else stays text as written.
import type { MentionView } from './bindings';
import { displayName } from './format';

/** `@` and an account id not running on into more letters or digits. */
const MENTION = /@(kith1[023456789acdefghjklmnpqrstuvwxyz]{58})(?![\p{L}\p{N}_])/gu;

/** The distinct accounts a text mentions, in order of first mention. */
export function mentionedAccounts(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MENTION)) if (m[1] && !out.includes(m[1])) out.push(m[1]);
  return out;
}

/** Longest name query offered people for, in characters. */
export const MAX_QUERY_CHARS = 30;

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'mention'; account: string; name: string };

/** Splits `text` into plain runs and the confirmed mentions, with their names. */
export function segments(text: string, mentions: readonly MentionView[]): Segment[] {
  if (mentions.length === 0) return [{ kind: 'text', text }];
  const known = new Map(mentions.map((m) => [m.account, m.name]));
  const out: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(MENTION)) {
    const account = m[1] ?? '';
    if (!known.has(account)) continue;
    if (m.index > at) out.push({ kind: 'text', text: text.slice(at, m.index) });
    out.push({ kind: 'mention', account, name: displayName(known.get(account) ?? null, account) });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ kind: 'text', text: text.slice(at) });
  return out;
}

/** `text` with confirmed mentions written as `@Name` (for plain-text places). */
export function plainText(text: string, mentions: readonly MentionView[]): string {
  return segments(text, mentions)
    .map((s) => (s.kind === 'text' ? s.text : `@${s.name}`))
    .join('');
}

/** A name chosen in the composer and the account it stands for. */
export type Pick = { name: string; account: string };

/** Adds a pick; a later pick of the same name replaces the earlier one. */
export function addPick(picks: readonly Pick[], pick: Pick): Pick[] {
  return [...picks.filter((p) => p.name !== pick.name), pick];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The text to store: each `@Name` of a pick, as a whole word, becomes `@` and
 * the account id. Longer names go first, so "@Ada Lovelace" is not taken for
 * "@Ada" followed by " Lovelace".
 */
export function toStored(text: string, picks: readonly Pick[]): string {
  const ordered = [...picks].sort((a, b) => b.name.length - a.name.length);
  if (ordered.length === 0) return text;
  const names = ordered.map((p) => escapeRegExp(p.name)).join('|');
  const re = new RegExp(`@(${names})(?![\\p{L}\\p{N}_])`, 'gu');
  const byName = new Map(ordered.map((p) => [p.name, p.account]));
  return text.replace(re, (whole, name: string) => {
    const account = byName.get(name);
    return account ? `@${account}` : whole;
  });
}

/**
 * A stored text made editable: each confirmed mention with a known name as
 * `@Name`, and the picks that turn it back into ids. Unnamed accounts keep
 * their ids, so nothing is lost on the way back.
 */
export function toEditable(text: string, mentions: readonly MentionView[]): { text: string; picks: Pick[] } {
  let picks: Pick[] = [];
  const named = mentions.filter((m) => m.name !== null && m.name.trim() !== '');
  const parts = segments(text, named).map((s) => {
    if (s.kind === 'text') return s.text;
    picks = addPick(picks, { name: s.name, account: s.account });
    return `@${s.name}`;
  });
  return { text: parts.join(''), picks };
}

/** The accounts a stored text mentions, named as the picks and `known` name them. */
export function mentionsOf(
  stored: string,
  picks: readonly Pick[],
  known: readonly MentionView[] = [],
): MentionView[] {
  const names = new Map<string, string | null>(known.map((m) => [m.account, m.name]));
  for (const p of picks) names.set(p.account, p.name);
  return mentionedAccounts(stored).map((account) => ({ account, name: names.get(account) ?? null }));
}

/**
 * The mention being typed just before the caret: "@" at the start or after a
 * space, then up to MAX_QUERY_CHARS characters that are not spaces or "@".
 * Null when the caret is not in one.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([^\s@]*)$/u.exec(before);
  if (!m) return null;
  const query = m[2] ?? '';
  if ([...query].length > MAX_QUERY_CHARS) return null;
  return { start: before.length - query.length - 1, query };
}
