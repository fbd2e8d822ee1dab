// Line icons drawn on a 24×24 grid with a 1.8 stroke (see Icon.svelte).
// Each path starts with an absolute moveto (`M`): an icon's shapes are
// joined into one path, where a leading relative `m` would start from the
// end of the shape before it.

export type Shape =
  | { d: string }
  | { cx: number; cy: number; r: number }
  | { x: number; y: number; w: number; h: number; rx: number };

export const ICONS = {
  home: [{ d: 'M3 10.5 12 3l9 7.5' }, { d: 'M5 9v12h14V9' }, { d: 'M10 21v-6h4v6' }],
  search: [{ cx: 11, cy: 11, r: 7 }, { d: 'M20 20l-4-4' }],
  bell: [{ d: 'M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15z' }, { d: 'M10 21a2.2 2.2 0 0 0 4 0' }],
  at: [{ cx: 12, cy: 12, r: 3.8 }, { d: 'M15.8 12v1.6a2.6 2.6 0 0 0 5.2 0V12a9 9 0 1 0-3.6 7.2' }],
  user: [{ cx: 12, cy: 8, r: 4 }, { d: 'M4 21c0-4 3.6-7 8-7s8 3 8 7' }],
  people: [
    { cx: 9, cy: 8, r: 3.5 },
    { d: 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6' },
    { cx: 17, cy: 9, r: 2.5 },
    { d: 'M16.5 14.2c2.9.2 5 2.2 5 5.3' },
  ],
  invite: [{ cx: 9, cy: 8, r: 4 }, { d: 'M2 21c0-4 3.1-7 7-7s7 3 7 7' }, { d: 'M19 8v6M16 11h6' }],
  backup: [
    { x: 3, y: 4, w: 18, h: 5, rx: 1 },
    { d: 'M5 9v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V9' },
    { d: 'M10 13h4' },
  ],
  settings: [
    { d: 'M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1' },
    { cx: 15, cy: 6, r: 2 },
    { cx: 9, cy: 12, r: 2 },
    { cx: 17, cy: 18, r: 2 },
  ],
  reply: [{ d: 'M20.5 11.5a8 8 0 0 1-11.7 7.1L4 20l1.3-4.4a8 8 0 1 1 15.2-4.1z' }],
  repost: [
    { d: 'M17 2.5 20 5.5l-3 3' },
    { d: 'M4 11V9.5a4 4 0 0 1 4-4h12' },
    { d: 'M7 21.5 4 18.5l3-3' },
    { d: 'M20 13v1.5a4 4 0 0 1-4 4H4' },
  ],
  quote: [{ d: 'M5 8h5v5c0 3-1.5 4.5-4 5' }, { d: 'M14 8h5v5c0 3-1.5 4.5-4 5' }],
  smile: [{ cx: 12, cy: 12, r: 9 }, { d: 'M8.5 14.5a4.5 4.5 0 0 0 7 0' }, { d: 'M9 9.5h.01M15 9.5h.01' }],
  edit: [{ d: 'M4 20h4L19 9l-4-4L4 16z' }, { d: 'M13.5 6.5l4 4' }],
  trash: [{ d: 'M4 7h16' }, { d: 'M9 7V4h6v3' }, { d: 'M6 7l1 13h10l1-13' }, { d: 'M10 11v5M14 11v5' }],
  image: [{ x: 3, y: 4, w: 18, h: 16, rx: 2 }, { cx: 8.5, cy: 9.5, r: 1.5 }, { d: 'M21 16l-5-5-9 9' }],
  warning: [{ d: 'M12 3.5 2.5 20h19z' }, { d: 'M12 10v4.5M12 17.5h.01' }],
  close: [{ d: 'M6 6l12 12M18 6 6 18' }],
  up: [{ d: 'M12 19V5M6 11l6-6 6 6' }],
  back: [{ d: 'M19 12H5M11 6l-6 6 6 6' }],
  copy: [{ x: 9, y: 9, w: 11, h: 11, rx: 2 }, { d: 'M5 15V5a1 1 0 0 1 1-1h9' }],
  file: [{ d: 'M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z' }, { d: 'M14 3v5h5' }],
  download: [{ d: 'M12 4v11M7 10l5 5 5-5M5 20h14' }],
  upload: [{ d: 'M12 20V9M7 14l5-5 5 5M5 4h14' }],
  plus: [{ d: 'M12 5v14M5 12h14' }],
  check: [{ d: 'M5 12.5l4.5 4.5L19 7.5' }],
  keyboard: [{ x: 2, y: 6, w: 20, h: 12, rx: 2 }, { d: 'M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10' }],
  lock: [{ x: 5, y: 11, w: 14, h: 10, rx: 2 }, { d: 'M8 11V7a4 4 0 0 1 8 0v4' }],
  more: [
    { cx: 5, cy: 12, r: 1.2 },
    { cx: 12, cy: 12, r: 1.2 },
    { cx: 19, cy: 12, r: 1.2 },
  ],
  shield: [{ d: 'M12 3 4.5 6v5.5c0 4.6 3.2 8.3 7.5 9.5 4.3-1.2 7.5-4.9 7.5-9.5V6z' }],
  eyeOff: [
    { d: 'M3 3l18 18' },
    { d: 'M10.6 5.1A9.8 9.8 0 0 1 12 5c5 0 8.5 4.5 9.5 7a12.6 12.6 0 0 1-2.8 3.9' },
    { d: 'M6.6 6.6C4.5 8 3.1 10 2.5 12c1 2.5 4.5 7 9.5 7 1.9 0 3.6-.6 5-1.5' },
    { d: 'M9.9 9.9a3 3 0 0 0 4.2 4.2' },
  ],
  // Share Kith: three linked nodes.
  share: [
    { cx: 18, cy: 5.5, r: 2.5 },
    { cx: 6, cy: 12, r: 2.5 },
    { cx: 18, cy: 18.5, r: 2.5 },
    { d: 'M8.2 10.8l7.6-4.1M8.2 13.2l7.6 4.1' },
  ],
  link: [
    { d: 'M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1' },
    { d: 'M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1' },
  ],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

const paths = new Map<IconName, string>();

/**
 * An icon's shapes as one SVG path, made once per icon: a card draws each
 * icon as one `<path>` (an `<svg>` and one child), which costs the page less
 * than an element per shape. Subpaths are stroked exactly as separate
 * elements would be. Built from the constant table above only.
 */
export function iconPath(name: IconName): string {
  let d = paths.get(name);
  if (d === undefined) {
    const shapes: readonly Shape[] = ICONS[name];
    d = shapes.map(shapePath).join('');
    paths.set(name, d);
  }
  return d;
}

/** One shape as path data: a circle is two half arcs, a rounded rectangle four sides and four arcs. */
export function shapePath(s: Shape): string {
  if ('d' in s) return s.d;
  if ('cx' in s) {
    const { cx, cy, r } = s;
    return `M${cx - r} ${cy}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;
  }
  const { x, y, w, h, rx } = s;
  const arc = (dx: number, dy: number): string => `a${rx} ${rx} 0 0 1 ${dx} ${dy}`;
  return (
    `M${x + rx} ${y}h${w - 2 * rx}${arc(rx, rx)}v${h - 2 * rx}${arc(-rx, rx)}` +
    `h${-(w - 2 * rx)}${arc(-rx, -rx)}v${-(h - 2 * rx)}${arc(rx, -rx)}z`
  );
}
