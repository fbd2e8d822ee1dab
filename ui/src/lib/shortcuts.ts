// Keyboard shortcuts: single keys and two-key "g x" sequences.

export type ShortcutAction =
  | 'home'
  | 'activity'
  | 'search'
  | 'profile'
  | 'people'
  | 'invite'
  | 'backup'
  | 'moderation'
  | 'share'
  | 'settings'
  | 'compose'
  | 'next'
  | 'prev'
  | 'help'
  | 'lock';

export const SEQUENCES: Record<string, ShortcutAction> = {
  'g h': 'home',
  'g a': 'activity',
  'g p': 'profile',
  'g n': 'people',
  'g i': 'invite',
  'g b': 'backup',
  'g m': 'moderation',
  'g k': 'share',
  'g s': 'settings',
  'g l': 'lock',
};

export const SINGLE: Record<string, ShortcutAction> = {
  '/': 'search',
  n: 'compose',
  j: 'next',
  k: 'prev',
  '?': 'help',
};

/** Shortcut text for an action, as shown in the sidebar and help. */
export function keysFor(action: ShortcutAction): string {
  for (const [k, a] of Object.entries(SEQUENCES)) if (a === action) return k;
  for (const [k, a] of Object.entries(SINGLE)) if (a === action) return k;
  return '';
}

export type ShortcutStep = { action: ShortcutAction | null; pending: string | null };

/**
 * Feeds one key (KeyboardEvent.key) to the matcher. `pending` is the prefix
 * typed so far ("g"); an unknown follow-up clears it.
 */
export function stepShortcut(pending: string | null, key: string): ShortcutStep {
  if (pending !== null) {
    const action = SEQUENCES[`${pending} ${key}`];
    if (action) return { action, pending: null };
    // "g" then something unknown: start over with this key.
    return stepShortcut(null, key);
  }
  if (Object.keys(SEQUENCES).some((s) => s.startsWith(`${key} `))) return { action: null, pending: key };
  return { action: SINGLE[key] ?? null, pending: null };
}

/** Keys typed into a field belong to the field. */
export function isTypingTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (t as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(type);
  }
  return false;
}
