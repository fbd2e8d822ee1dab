import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ICONS, iconPath, shapePath, type IconName, type Shape } from '$lib/icons';
import Icon from '../Icon.svelte';

const SVG = 'http://www.w3.org/2000/svg';

describe('Icon', () => {
  it('draws every icon as one SVG path holding each of its shapes', () => {
    for (const name of Object.keys(ICONS) as IconName[]) {
      const { container, unmount } = render(Icon, { name, size: 20 });
      const svg = container.querySelector('svg');
      expect(svg?.getAttribute('width'), name).toBe('20');
      const drawn = Array.from(svg?.children ?? []);
      expect(drawn.map((el) => el.tagName), `${name}: one path`).toEqual(['path']);
      // Parsed as SVG, not as an unknown HTML element (which draws nothing).
      expect(drawn[0]?.namespaceURI, name).toBe(SVG);
      const d = drawn[0]?.getAttribute('d') ?? '';
      expect(d, name).toBe(iconPath(name));
      for (const s of ICONS[name]) expect(d, name).toContain(shapePath(s));
      // Every shape starts a subpath of its own.
      expect(d.match(/M/g)?.length ?? 0, name).toBeGreaterThanOrEqual(ICONS[name].length);
      unmount();
    }
  });

  it('starts every path shape with an absolute moveto, so joined shapes do not shift', () => {
    for (const name of Object.keys(ICONS) as IconName[]) {
      const shapes: readonly Shape[] = ICONS[name];
      for (const s of shapes) if ('d' in s) expect(s.d.startsWith('M'), `${name}: ${s.d}`).toBe(true);
    }
  });

  it('turns a circle into two half arcs through its leftmost and rightmost points', () => {
    expect(shapePath({ cx: 12, cy: 12, r: 9 })).toBe('M3 12a9 9 0 1 0 18 0a9 9 0 1 0 -18 0');
  });

  it('turns a rounded rectangle into four sides joined by quarter arcs, closed', () => {
    expect(shapePath({ x: 3, y: 4, w: 18, h: 16, rx: 2 })).toBe(
      'M5 4h14a2 2 0 0 1 2 2v12a2 2 0 0 1 -2 2h-14a2 2 0 0 1 -2 -2v-12a2 2 0 0 1 2 -2z',
    );
  });
});
