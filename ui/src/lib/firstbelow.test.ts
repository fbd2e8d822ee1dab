import { describe, expect, it } from 'vitest';
import { firstBelow, type Boxed } from './firstbelow';

/** Boxes of `height` px stacked from `top`, counting how often each is measured. */
function stack(count: number, height: number, top = 0): { items: Boxed[]; measured: number[] } {
  const measured = new Array<number>(count).fill(0);
  const items = Array.from({ length: count }, (_, i) => ({
    getBoundingClientRect: () => {
      measured[i] = (measured[i] ?? 0) + 1;
      return { bottom: top + (i + 1) * height };
    },
  }));
  return { items, measured };
}

describe('firstBelow', () => {
  it('finds the first box whose bottom is below the line', () => {
    const { items } = stack(10, 100, -250); // bottoms: -150, -50, 50, 150, …
    expect(firstBelow(items, 0)).toBe(items[2]);
    expect(firstBelow(items, 50)).toBe(items[3]); // a bottom exactly on the line is above it
    expect(firstBelow(items, -1000)).toBe(items[0]);
  });

  it('answers null for an empty list and when every box is above the line', () => {
    expect(firstBelow([], 0)).toBeNull();
    const { items } = stack(5, 100, -1000);
    expect(firstBelow(items, 0)).toBeNull();
  });

  it('measures about log2(n) boxes of a long list, not every box', () => {
    const { items, measured } = stack(4000, 150, -300_000);
    const found = firstBelow(items, 64);
    expect(found).toBe(items[2000]); // its bottom is at 150, the one before it at 0
    const total = measured.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(14); // log2(4000) ≈ 12, plus the final check
  });
});
