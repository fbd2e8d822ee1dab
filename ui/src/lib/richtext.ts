// A post's text as the runs a card draws: plain text, mentions by name (see
// mentions.ts), web links and hashtags. Nothing here is markup: every run is
// drawn as text, so a post can never inject HTML.
import type { MentionView } from './bindings';
import { segments } from './mentions';

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'mention'; account: string; name: string }
  | { kind: 'link'; url: string; label: string }
  | { kind: 'tag'; tag: string };

/** Longest link shown, in characters; the whole address is its tooltip. */
export const MAX_LINK_LABEL = 48;

/** Longest hashtag made a link, in characters (longer ones stay text). */
export const MAX_TAG_CHARS = 64;

/**
 * A web address (not inside a word), or a hashtag: `#` not inside a word or
 * after `&`, `/` or `#` (so `a#b`, `&#39;` and `/#/x` are not tags).
 */
const RUN = /(?<![\p{L}\p{N}_])(https?:\/\/[^\s<>"]+)|(?<![\p{L}\p{N}_&/#])#([\p{L}\p{M}\p{N}_]+)/giu;

/** Characters a sentence puts after an address that are not part of it. */
const TRAILING = /[.,;:!?'"…»”’]$/u;

/** Whether `text` has nothing but plain text to draw (the common case, drawn fastest). */
export function isPlain(text: string, mentions: readonly MentionView[]): boolean {
  return mentions.length === 0 && !text.includes('#') && !/https?:\/\//i.test(text);
}

/** Splits a post's text into the runs to draw. */
export function parts(text: string, mentions: readonly MentionView[]): Part[] {
  const out: Part[] = [];
  for (const s of segments(text, mentions)) {
    if (s.kind === 'text') splitRuns(s.text, out);
    else out.push(s);
  }
  return out;
}

/** Appends the plain, link and hashtag runs of `text` to `out`. */
function splitRuns(text: string, out: Part[]): void {
  let at = 0;
  let plain = '';
  for (const m of text.matchAll(RUN)) {
    const run = m[1] !== undefined ? link(m[1]) : tag(m[2] ?? '');
    if (run === null) continue;
    const end = m.index + run.length;
    plain += text.slice(at, m.index);
    if (plain !== '') out.push({ kind: 'text', text: plain });
    plain = '';
    out.push(run.part);
    at = end;
  }
  plain += text.slice(at);
  if (plain !== '') out.push({ kind: 'text', text: plain });
}

/** The address at the start of `found`, without trailing punctuation; null if it is not one to link. */
function link(found: string): { part: Part; length: number } | null {
  let url = found;
  for (;;) {
    if (TRAILING.test(url)) url = url.slice(0, -1);
    else if (url.endsWith(')') && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
    else if (url.endsWith(']') && count(url, '[') < count(url, ']')) url = url.slice(0, -1);
    else break;
  }
  const rest = url.replace(/^https?:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  // No host, or a user name before it ("https://bank@evil"): left as text.
  if (authority === '' || authority.includes('@')) return null;
  return { part: { kind: 'link', url, label: label(rest) }, length: url.length };
}

/** What a link shows: the address without its scheme, shortened. */
function label(rest: string): string {
  const shown = rest.replace(/^www\./i, '').replace(/\/$/, '');
  const chars = Array.from(shown);
  return chars.length > MAX_LINK_LABEL ? `${chars.slice(0, MAX_LINK_LABEL - 1).join('')}…` : shown;
}

/** A hashtag run: needs a letter (`#1` is a number) and a sane length. */
function tag(name: string): { part: Part; length: number } | null {
  if (!/\p{L}/u.test(name) || Array.from(name).length > MAX_TAG_CHARS) return null;
  return { part: { kind: 'tag', tag: name }, length: name.length + 1 };
}

function count(s: string, c: string): number {
  return s.split(c).length - 1;
}
