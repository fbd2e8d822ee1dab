import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ICONS, type IconName } from '$lib/icons';
import Icon from '../Icon.svelte';

const SVG = 'http://www.w3.org/2000/svg';

describe('Icon', () => {
  it('draws every shape of every icon as an SVG element with the table’s values', () => {
    for (const name of Object.keys(ICONS) as IconName[]) {
      const { container, unmount } = render(Icon, { name, size: 20 });
      const svg = container.querySelector('svg');
      expect(svg?.getAttribute('width'), name).toBe('20');
      const drawn = Array.from(svg?.children ?? []);
      const shapes = ICONS[name];
      expect(drawn.length, `${name}: one element per shape`).toBe(shapes.length);
      drawn.forEach((el, i) => {
        const s = shapes[i];
        // Parsed as SVG, not as unknown HTML elements (which draw nothing).
        expect(el.namespaceURI, `${name} shape ${i}`).toBe(SVG);
        if (s && 'd' in s) expect(el.getAttribute('d')).toBe(s.d);
        else if (s && 'cx' in s) expect([el.tagName, el.getAttribute('r')]).toEqual(['circle', String(s.r)]);
        else if (s) expect([el.tagName, el.getAttribute('rx')]).toEqual(['rect', String(s.rx)]);
      });
      unmount();
    }
  });
});
