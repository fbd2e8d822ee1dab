// Moderation labels, per-label choices of a subscription, and the id forms
// moderation works with. Pure logic, tested directly.
import type { ListView } from './bindings';

/** The labels a list entry or report carries, in the order the node knows them. */
export const LABELS = ['spam', 'harassment', 'violence', 'sexual', 'misleading', 'other'] as const;
export type Label = (typeof LABELS)[number];

export const LABEL_NAMES: Record<Label, string> = {
  spam: 'Spam',
  harassment: 'Harassment',
  violence: 'Violence',
  sexual: 'Sexual content',
  misleading: 'Misleading',
  other: 'Other',
};

export function isLabel(s: string): s is Label {
  return (LABELS as readonly string[]).includes(s);
}

/** "Spam, Misleading" (unknown names shown as they are). */
export function labelText(labels: readonly string[]): string {
  return labels.map((l) => (isLabel(l) ? LABEL_NAMES[l] : l)).join(', ');
}

/** Labels in the canonical order, without duplicates or unknown names. */
export function sortLabels(labels: Iterable<string>): Label[] {
  const set = new Set(labels);
  return LABELS.filter((l) => set.has(l));
}

/** What a subscription does with one label. */
export type LabelChoice = 'hide' | 'warn' | 'ignore';
export type LabelChoices = Record<Label, LabelChoice>;

export const CHOICES: { value: LabelChoice; label: string }[] = [
  { value: 'hide', label: 'Hide' },
  { value: 'warn', label: 'Warn' },
  { value: 'ignore', label: 'Ignore' },
];

/** The choices a subscription holds (hide wins if a label is in both). */
export function choicesOf(list: Pick<ListView, 'hide' | 'warn'>): LabelChoices {
  const out = {} as LabelChoices;
  for (const l of LABELS) out[l] = list.hide.includes(l) ? 'hide' : list.warn.includes(l) ? 'warn' : 'ignore';
  return out;
}

/** Choices → the `hide` and `warn` arguments of `subscribeList`. */
export function splitChoices(choices: LabelChoices): { hide: Label[]; warn: Label[] } {
  return {
    hide: LABELS.filter((l) => choices[l] === 'hide'),
    warn: LABELS.filter((l) => choices[l] === 'warn'),
  };
}

export function sameChoices(a: LabelChoices, b: LabelChoices): boolean {
  return LABELS.every((l) => a[l] === b[l]);
}

/** A new subscription covers everything the list labels; the user tunes it per label. */
export const DEFAULT_CHOICES: LabelChoices = {
  spam: 'warn',
  harassment: 'warn',
  violence: 'warn',
  sexual: 'warn',
  misleading: 'warn',
  other: 'warn',
};

/** What a list entry or report is about. */
export type TargetKind = 'account' | 'post';

const BECH32 = /^[02-9ac-hj-np-z]{6,}$/;

/** `kith1…` → account, `kithpost1…` → post, anything else → null. */
export function targetKind(id: string): TargetKind | null {
  const s = id.trim().toLowerCase();
  if (s.startsWith('kithpost1') && BECH32.test(s.slice(9))) return 'post';
  if (s.startsWith('kith1') && BECH32.test(s.slice(5))) return 'account';
  return null;
}

/** Whether `id` looks like a list id (`kithlist1…`). */
export function isListId(id: string): boolean {
  const s = id.trim().toLowerCase();
  return s.startsWith('kithlist1') && BECH32.test(s.slice(9));
}

/** A report's status for people (inbox: open, accepted, dismissed; outbox: queued, delivered). */
export function reportStatusText(status: string): string {
  switch (status) {
    case 'open':
      return 'Open';
    case 'accepted':
      return 'Accepted: added to the list';
    case 'dismissed':
      return 'Dismissed';
    case 'queued':
      return 'Queued: sent when the maintainer’s computer is reachable';
    case 'delivered':
      return 'Delivered';
    default:
      return status;
  }
}

/** A list's name for people, while its maintainer's feed may still be on the way. */
export function listName(list: Pick<ListView, 'name'>): string {
  return list.name ?? 'Waiting for the list to arrive';
}
