// Theme: `data-theme` on <html> is light, dark or system; CSS does the rest
// (system follows prefers-color-scheme live). The choice is cached locally so
// the first paint after a restart already has it.
import type { Theme } from './bindings';

const KEY = 'kith-theme';

export function isTheme(v: unknown): v is Theme {
  return v === 'light' || v === 'dark' || v === 'system';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* storage unavailable: the setting still applies for this run */
  }
}

export function cachedTheme(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    return isTheme(v) ? v : 'system';
  } catch {
    return 'system';
  }
}
