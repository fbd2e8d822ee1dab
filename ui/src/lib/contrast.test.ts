// @vitest-environment node
import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';
import { contrast, hslToHex } from './contrast';

/** The custom properties of the first rule whose selector contains `selector`. */
function palette(selector: string): Record<string, string> {
  const start = css.indexOf(selector);
  const open = css.indexOf('{', start);
  const body = css.slice(open + 1, css.indexOf('}', open));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/--([\w-]+):\s*([^;]+);/g)) vars[m[1]!] = m[2]!.trim();
  return vars;
}

// [foreground, background] pairs used for text.
const PAIRS: [string, string][] = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'surface-2'],
  ['text', 'sidebar'],
  ['muted', 'surface'],
  ['muted', 'bg'],
  ['muted', 'surface-2'],
  ['muted', 'sidebar'],
  ['accent-text', 'surface'],
  ['accent-text', 'accent-soft'],
  // The update banner.
  ['text', 'accent-soft'],
  ['muted', 'accent-soft'],
  ['danger', 'accent-soft'],
  ['on-accent', 'accent'],
  ['danger', 'surface'],
  ['danger-fg', 'danger-bg'],
  ['warn', 'surface'],
  ['text', 'warn-soft'],
  ['ok', 'surface'],
  ['toast-fg', 'toast-bg'],
];

describe.each([
  ['light', "[data-theme='light']"],
  ['dark', "[data-theme='dark'] {"],
])('%s palette', (_name, selector) => {
  const p = palette(selector);

  it.each(PAIRS)('%s on %s meets WCAG AA (4.5:1)', (fg, bg) => {
    expect(p[fg], fg).toBeDefined();
    expect(p[bg], bg).toBeDefined();
    expect(contrast(p[fg]!, p[bg]!)).toBeGreaterThanOrEqual(4.5);
  });

  it('initials stay readable on avatars of every hue', () => {
    const sat = parseFloat(p['avatar-sat']!);
    const light = parseFloat(p['avatar-light']!);
    for (let hue = 0; hue < 360; hue++) {
      expect(contrast(p['avatar-fg']!, hslToHex(hue, sat, light)), `hue ${hue}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('system theme', () => {
  it('uses exactly the dark palette when the system prefers dark', () => {
    expect(palette("  [data-theme='system'] {")).toEqual(palette("[data-theme='dark'] {"));
  });
});
